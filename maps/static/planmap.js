/* The 学区 plan map: layers, legend, zoom behaviour, highlighting and search, drawn with Leaflet
   from the page's JSON data (maps/layers.py). Every string from the data is escaped (esc) or set
   as text before it reaches the page. */
(function () {
  "use strict";

  var ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" };
  // name, z-index, takes the pointer; the built-in overlay pane (territories) is at 400.
  var PANES = [
    ["xqRoads", 390, false], ["xqTownships", 405, false], ["xqIsochrones", 407, false],
    ["xqLinks", 410, false], ["xqSchools", 420, true]
  ];
  var STAR_PATH = "M0,-11L2.6,-3.6L10.5,-3.4L4.2,1.6L6.5,9.2L0,4.8L-6.5,9.2L-4.2,1.6L-10.5,-3.4L-2.6,-3.6Z";
  var STAR_PX = 24;
  var FIT_PADDING = [24, 24];
  var STYLE = {
    territory: { weight: 2, opacity: 0.9, fillOpacity: 0.3 },
    dimmed: { weight: 1, opacity: 0.35, fillOpacity: 0.06 },
    highlighted: { weight: 4, opacity: 1, fillOpacity: 0.5 },
    link: { weight: 1.5, opacity: 0.7 },
    member: { weight: 1, color: "#ffffff", fillOpacity: 0.95 },
    road: { color: "#8c8273", opacity: 0.6 },
    township: { color: "#4d4d4d", weight: 1.5, opacity: 0.8, dashArray: "6 4" },
    isochrone: { weight: 1.2, opacity: 0.5, dashArray: "4 3", fill: false },
    isochroneSelected: { weight: 3, opacity: 1, dashArray: null },
    isochroneDimmed: { weight: 1, opacity: 0.15 },
    gap: { color: "#b2182b", weight: 1, opacity: 0.9, fillColor: "#b2182b", fillOpacity: 0.35 }
  };
  var POPUP_OPTIONS = { maxWidth: 320, autoPanPaddingTopLeft: [12, 110] };

  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (c) { return ESCAPES[c]; });
  }

  function decode(flat, scale) {
    var points = [], lat = 0, lng = 0;
    for (var i = 0; i < flat.length; i += 2) {
      lat += flat[i];
      lng += flat[i + 1];
      points.push([lat / scale, lng / scale]);
    }
    return points;
  }

  function polygonLatLngs(shape, scale) {
    return shape.map(function (polygon) {
      return polygon.map(function (ring) { return decode(ring, scale); });
    });
  }

  function lineLatLngs(lines, scale) {
    return lines.map(function (line) { return decode(line, scale); });
  }

  function count(value) {
    return value === null || value === undefined ? "—" : Number(value).toLocaleString("en-US");
  }

  function extend(base, extra) {
    return Object.assign({}, base, extra);
  }

  function rowsHtml(rows) {
    return "<table>" + rows.map(function (row) {
      return "<tr><th>" + esc(row[0]) + "</th><td>" + esc(row[1]) + "</td></tr>";
    }).join("") + "</table>";
  }

  function withUnit(value, unit) {
    return unit ? value + " " + unit : value;
  }

  function schoolName(data, i) {
    var s = data.schools;
    return s.core[i] ? s.name[i] + "（" + data.words.core + "）" : s.name[i];
  }

  function minutesText(data, i) {
    var s = data.schools, w = data.words;
    if (s.district[i] < 0) return "—";
    if (s.core[i]) return w.core_school;
    return s.minutes[i] === null ? "—" : withUnit(s.minutes[i].toFixed(1), w.minutes);
  }

  function schoolPopup(data, i) {
    var s = data.schools, w = data.words, k = s.district[i];
    var rows = [
      [w.level, w.levels[s.level[i]] || s.level[i]],
      [w.enrollment, withUnit(count(s.enrollment[i]), w.students)],
      [w.district, k < 0 ? w.unassigned : data.districts[k].key + " " + data.districts[k].name],
      [w.head, k < 0 ? "" : data.districts[k].head],
      [w.to_core, minutesText(data, i)],
      [w.township, s.township[i]],
      [w.area_type, w.areas[s.area[i]] || s.area[i]]
    ];
    return "<div class=\"xq-popup\"><b>" + esc(s.name[i]) + "</b>" + rowsHtml(rows) + "</div>";
  }

  function territoryTooltip(data, d) {
    var w = data.words;
    var rows = [
      [w.core_school, d.core], [w.head, d.head], [w.schools, count(d.schools)],
      [w.enrollment, withUnit(count(d.enrollment), w.students)]
    ];
    return "<div class=\"xq-popup\"><b>" + esc(d.key + " " + d.name) + "</b>" + rowsHtml(rows) + "</div>";
  }

  function starSvg(color, className) {
    return "<svg viewBox=\"-12 -12 24 24\" width=\"" + STAR_PX + "\" height=\"" + STAR_PX + "\">" +
      "<path class=\"" + className + "\" d=\"" + STAR_PATH + "\" fill=\"" + esc(color) + "\"/></svg>";
  }

  function ensurePanes(map) {
    PANES.forEach(function (pane) {
      if (map.getPane(pane[0])) return;
      var element = map.createPane(pane[0]);
      element.style.zIndex = pane[1];
      if (!pane[2]) element.style.pointerEvents = "none";
    });
  }

  function attribute(map, groups, text) {
    if (!text) return;
    groups.forEach(function (group) {
      if (!group) return;
      var shown = map.hasLayer(group);
      if (shown) map.removeLayer(group);
      group.options.attribution = esc(text);
      if (shown) map.addLayer(group);
    });
  }

  function drawRoads(group, data) {
    data.roads.forEach(function (road) {
      L.polyline(lineLatLngs(road.lines, data.scale), extend(STYLE.road, {
        weight: road.weight, interactive: false, pane: "xqRoads", className: "xq-road xq-road-" + esc(road.highway)
      })).addTo(group);
    });
  }

  function drawTownships(group, data) {
    if (!data.townships.length) return;
    L.polyline(lineLatLngs(data.townships, data.scale), extend(STYLE.township, {
      interactive: false, pane: "xqTownships", className: "xq-township"
    })).addTo(group);
  }

  function drawTerritories(group, state) {
    var data = state.data;
    data.districts.forEach(function (d, k) {
      if (!d.shape.length) { state.territories.push(null); return; }
      var layer = L.polygon(polygonLatLngs(d.shape, data.scale), extend(STYLE.territory, {
        color: d.color, fillColor: d.color, className: "xq-territory"
      }));
      layer.bindTooltip(territoryTooltip(data, d), { sticky: true });
      layer.on("click", function () { select(state, state.selected === k ? null : k); });
      layer.addTo(group);
      state.territories.push(layer);
    });
  }

  function drawIsochrones(group, state) {
    var iso = state.data.isochrones, data = state.data;
    if (!iso) return;
    if (iso.gaps.length) {
      L.polygon(polygonLatLngs(iso.gaps, data.scale), extend(STYLE.gap, {
        interactive: false, pane: "xqIsochrones", className: "xq-gap"
      })).addTo(group);
    }
    iso.areas.forEach(function (area) {
      if (!area.shape.length) return;
      var color = area.district < 0 ? data.view.unassignedColor : data.districts[area.district].color;
      var layer = L.polygon(polygonLatLngs(area.shape, data.scale), extend(STYLE.isochrone, {
        color: color, interactive: false, pane: "xqIsochrones", className: "xq-isochrone"
      })).addTo(group);
      state.isochrones.push([area.district, layer]);
    });
  }

  function drawLinks(group, data) {
    var s = data.schools, cores = {}, segments = {};
    s.core.forEach(function (isCore, i) { if (isCore && s.district[i] >= 0) cores[s.district[i]] = [s.lat[i], s.lon[i]]; });
    s.district.forEach(function (k, i) {
      if (k < 0 || s.core[i] || !cores[k]) return;
      (segments[k] = segments[k] || []).push([[s.lat[i], s.lon[i]], cores[k]]);
    });
    Object.keys(segments).sort(function (a, b) { return a - b; }).forEach(function (k) {
      L.polyline(segments[k], extend(STYLE.link, {
        color: data.districts[k].color, interactive: false, pane: "xqLinks", className: "xq-link"
      })).addTo(group);
    });
  }

  function drawingOrder(data) {
    // unassigned first, then members, cores last (on top), each by position in the table
    var s = data.schools;
    return s.name.map(function (_, i) { return i; }).sort(function (a, b) {
      var rank = function (i) { return (s.district[i] >= 0 ? 1 : 0) + s.core[i]; };
      return rank(a) - rank(b) || a - b;
    });
  }

  function schoolMarker(state, i) {
    var data = state.data, s = data.schools, k = s.district[i], view = data.view;
    var marker;
    if (s.core[i] && k >= 0) {
      marker = L.marker([s.lat[i], s.lon[i]], {
        icon: L.divIcon({
          className: "xq-core-icon", html: starSvg(data.districts[k].color, "xq-school xq-core"),
          iconSize: [STAR_PX, STAR_PX], iconAnchor: [STAR_PX / 2, STAR_PX / 2], tooltipAnchor: [STAR_PX / 2, 0]
        }),
        searchName: s.search[i], keyboard: false
      });
      marker.bindTooltip(esc(data.districts[k].key + " " + s.name[i]), {
        permanent: true, direction: "right", className: "xq-core-label"
      });
      marker.labelZoom = s.labelZoom[i];
      state.cores.push(marker);
    } else {
      var unassigned = k < 0;
      marker = L.circleMarker([s.lat[i], s.lon[i]], extend(STYLE.member, {
        radius: view.memberRadius, fill: true, pane: "xqSchools", searchName: s.search[i],
        fillColor: unassigned ? view.unassignedColor : data.districts[k].color,
        className: unassigned ? "xq-school xq-unassigned" : "xq-school"
      }));
      marker.bindTooltip(esc(schoolName(data, i)));
      state.members.push(marker);
    }
    marker.bindPopup(schoolPopup(data, i), POPUP_OPTIONS);
    return marker;
  }

  function drawSchools(group, state) {
    drawingOrder(state.data).forEach(function (i) { schoolMarker(state, i).addTo(group); });
  }

  function memberRadius(view, zoom) {
    var radius = view.memberRadius * Math.pow(2, zoom - view.fullSizeZoom);
    return Math.max(view.minMemberRadius, Math.min(view.memberRadius, radius));
  }

  function resizeMembers(state) {
    var radius = memberRadius(state.data.view, state.map.getZoom());
    state.members.forEach(function (marker) { marker.setRadius(radius); });
  }

  function resizeCores(state) {
    var view = state.data.view, zoom = state.map.getZoom();
    var size = view.star * Math.pow(2, zoom - view.starFullSizeZoom);
    size = Math.max(view.minStar, Math.min(view.star, size));
    state.map.getContainer().style.setProperty("--xq-star", size + "px");
  }

  function fitClearOfLegend(state, bounds) {
    // fit ``bounds`` into the part of the map the legend leaves free (at most half the width)
    var map = state.map, legend = state.legendBox;
    var right = legend ? Math.min(legend.offsetWidth, map.getSize().x / 2) + FIT_PADDING[0] : FIT_PADDING[0];
    map.fitBounds(bounds, { paddingTopLeft: FIT_PADDING, paddingBottomRight: [right, FIT_PADDING[1]], animate: false });
  }

  function showLabels(state) {
    var zoom = state.map.getZoom();
    state.cores.forEach(function (marker) {
      var tooltip = marker.getTooltip(), element = tooltip && tooltip.getElement();
      if (element) element.style.display = marker.labelZoom === null || zoom >= marker.labelZoom ? "" : "none";
    });
  }

  function select(state, k) {
    state.selected = k;
    state.territories.forEach(function (layer, i) {
      if (!layer) return;
      layer.setStyle(k === null ? STYLE.territory : (i === k ? STYLE.highlighted : STYLE.dimmed));
      var element = layer.getElement();
      if (element) element.classList.toggle("xq-highlight", i === k);
    });
    state.isochrones.forEach(function (entry) {
      var style = k === null ? STYLE.isochrone : (entry[0] === k ? STYLE.isochroneSelected : STYLE.isochroneDimmed);
      entry[1].setStyle(extend(STYLE.isochrone, style));
    });
    Object.keys(state.legendRows).forEach(function (i) {
      state.legendRows[i].classList.toggle("xq-active", Number(i) === k);
    });
    if (state.resetButton) state.resetButton.style.display = k === null ? "none" : "";
    if (k !== null && state.territories[k]) {
      state.territories[k].bringToFront();
      fitClearOfLegend(state, state.data.districts[k].bounds);
    }
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function legendTable(state) {
    var data = state.data, w = data.words, table = element("table", "xq-legend-table");
    var head = table.createTHead().insertRow();
    ["", w.key, w.district, w.schools, w.enrollment].forEach(function (label) { head.appendChild(element("th", "", label)); });
    var body = table.createTBody();
    data.districts.forEach(function (d, k) {
      var row = body.insertRow();
      row.className = "xq-legend-row";
      row.dataset.key = d.key;
      var swatch = element("span", "xq-swatch");
      swatch.style.background = d.color;
      row.insertCell().appendChild(swatch);
      row.insertCell().textContent = d.key;
      var name = row.insertCell();
      name.textContent = d.name;
      if (d.head) name.appendChild(element("span", "xq-head", " " + w.head + " " + d.head));
      row.insertCell().textContent = count(d.schools);
      row.insertCell().textContent = count(d.enrollment);
      row.cells[3].className = row.cells[4].className = "xq-number";
      L.DomEvent.on(row, "click", function () { select(state, state.selected === k ? null : k); });
      state.legendRows[k] = row;
    });
    return table;
  }

  function symbolRow(html, label) {
    var item = element("li");
    item.innerHTML = html;  // our own fixed markup
    item.appendChild(document.createTextNode(label));
    return item;
  }

  function legendSymbols(state) {
    var data = state.data, w = data.words, list = element("ul", "xq-symbols");
    var hasUnassigned = data.schools.district.some(function (k) { return k < 0; });
    list.appendChild(symbolRow("<span class=\"xq-symbol\">" + starSvg("#bbbbbb", "") + "</span>", w.core_school));
    list.appendChild(symbolRow("<span class=\"xq-symbol\"><span class=\"xq-dot\"></span></span>", w.member_school));
    if (hasUnassigned) {
      list.appendChild(symbolRow("<span class=\"xq-symbol\"><span class=\"xq-dot xq-dot-unassigned\"></span></span>", w.unassigned));
    }
    if (data.roads.length) list.appendChild(symbolRow("<span class=\"xq-symbol\"><span class=\"xq-line xq-line-road\"></span></span>", w.roads));
    if (data.townships.length) list.appendChild(symbolRow("<span class=\"xq-symbol\"><span class=\"xq-line xq-line-township\"></span></span>", w.townships));
    if (data.isochrones) {
      list.appendChild(symbolRow("<span class=\"xq-symbol\"><span class=\"xq-line xq-line-isochrone\"></span></span>", w.isochrones));
      list.appendChild(symbolRow("<span class=\"xq-symbol\"><span class=\"xq-swatch xq-swatch-gap\"></span></span>", w.not_reached));
    }
    return list;
  }

  function addLegend(map, state) {
    var w = state.data.words, control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = element("div", "xq-box xq-legend");
      var heading = element("div", "xq-legend-head");
      heading.appendChild(element("h2", "", w.districts));
      var reset = element("button", "xq-reset", w.show_all);
      reset.type = "button";
      reset.style.display = "none";
      L.DomEvent.on(reset, "click", function () { select(state, null); });
      heading.appendChild(reset);
      state.resetButton = reset;
      box.appendChild(heading);
      var scroller = element("div", "xq-legend-rows");
      scroller.appendChild(legendTable(state));
      box.appendChild(scroller);
      box.appendChild(legendSymbols(state));
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      state.legendBox = box;
      return box;
    };
    control.addTo(map);
  }

  function drawPlan(map, groups, data) {
    var state = {
      map: map, data: data, territories: [], members: [], cores: [], isochrones: [],
      selected: null, legendRows: {}, resetButton: null, legendBox: null
    };
    ensurePanes(map);
    attribute(map, [groups.roads, groups.townships], data.source);
    if (groups.roads) drawRoads(groups.roads, data);
    if (groups.townships) drawTownships(groups.townships, data);
    drawTerritories(groups.territories, state);
    if (groups.isochrones) drawIsochrones(groups.isochrones, state);
    drawLinks(groups.links, data);
    drawSchools(groups.schools, state);
    addLegend(map, state);
    var update = function () { resizeMembers(state); resizeCores(state); showLabels(state); };
    map.on("zoomend", update);
    map.on("overlayadd", function () { showLabels(state); });
    fitClearOfLegend(state, data.view.bounds);
    update();
    map.xuequ = state;
    return state;
  }

  function searchTip(text) {
    var tip = element("li", "", text);
    return tip;
  }

  function searchFilter(text, records) {
    var needle = text.toLowerCase(), found = {};
    if (!needle) return found;
    Object.keys(records).forEach(function (key) {
      if (key.toLowerCase().indexOf(needle) !== -1) found[key] = records[key];
    });
    return found;
  }

  function addSearch(map, group, options) {
    var control = new L.Control.Search({
      layer: group, propertyName: "searchName", initial: false, marker: false, collapsed: false,
      position: "topleft", textPlaceholder: options.placeholder, textErr: esc(options.notFound),
      buildTip: searchTip, filterData: searchFilter,
      moveToLocation: function (latlng, title, target) {
        target.setView(latlng, Math.max(target.getZoom(), options.zoom), { animate: false });
      }
    });
    control.on("search:locationfound", function (event) {
      if (event.layer) event.layer.openPopup();
    });
    map.addControl(control);
    // leaflet-search reacts to keyup only; Chinese typed with an input method arrives as input events
    L.DomEvent.on(control._input, "input", function () { control._handleKeypress({ keyCode: 0 }); });
    return control;
  }

  window.xuequ = { drawPlan: drawPlan, addSearch: addSearch, esc: esc };
})();
