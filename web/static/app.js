/* 学区 planner: progress, the plan map and its edits. Everything from data is set as text, never as HTML,
   except the figure and violation tables, which the server renders (escaped) for each edit. */
"use strict";

(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  /* --- a study being read: look again until it is read ------------------------------------------- */
  const reading = document.getElementById("reading");
  if (reading) {
    const look = () => fetch(reading.dataset.stateUrl, {headers: {Accept: "application/json"}})
      .then((r) => r.json()).then((s) => { if (s.state !== "reading") location.reload(); else setTimeout(look, 1000); })
      .catch(() => setTimeout(look, 2000));
    setTimeout(look, 1000);
  }

  /* --- a run's progress, pushed by the server (server-sent events; polling if they fail) ---------- */
  const progress = document.getElementById("progress");
  if (progress) {
    const bar = progress.querySelector(".fill");
    const show = (p) => {
      if (p.state !== "queued" && p.state !== "running") { location.reload(); return false; }
      bar.style.width = (100 * p.share).toFixed(1) + "%";
      progress.querySelector(".bar").setAttribute("aria-valuenow", Math.round(100 * p.share));
      progress.querySelectorAll(".stages li").forEach((li, i) => {
        li.classList.toggle("done", i < p.stage_index);
        li.classList.toggle("current", i === p.stage_index);
      });
      document.getElementById("gap").textContent =
        p.gap === null ? "" : progress.dataset.gapText.replace("{gap}", (100 * p.gap).toFixed(2) + "%");
      document.getElementById("seconds").textContent = progress.dataset.secondsText.replace("{s}", p.seconds.toFixed(0));
      return true;
    };
    const poll = () => fetch(progress.dataset.progress, {headers: {Accept: "application/json"}})
      .then((r) => r.json()).then((p) => { if (show(p)) setTimeout(poll, 1000); })
      .catch(() => setTimeout(poll, 2000));
    if (window.EventSource) {
      const events = new EventSource(progress.dataset.events);
      events.onmessage = (e) => { if (!show(JSON.parse(e.data))) events.close(); };
      events.onerror = () => { events.close(); setTimeout(poll, 1000); };
    } else {
      poll();
    }
  }

  /* --- the plan: its map, and edits scored by the server at once ----------------------------------- */
  const plan = document.getElementById("plan");
  if (!plan || !window.L) return;
  const map = L.map("plan-map", {preferCanvas: false, zoomSnap: 0.25});
  const edits = [];
  let colours = {}, territories = null, schools = null, cores = {};

  const colour = (key) => colours[key] || "#777777";
  const paintSwatches = () => document.querySelectorAll(".swatch[data-district]").forEach((s) => {
    s.style.background = colour(s.dataset.district);
  });

  function draw(layers, fit) {
    colours = layers.colours;
    cores = {};
    layers.schools.features.forEach((f) => { if (f.properties.is_core) cores[f.properties.district] = f.properties; });
    if (territories) territories.remove();
    if (schools) schools.remove();
    territories = L.geoJSON(layers.districts, {
      style: (f) => ({color: colour(f.properties.district), weight: 1, fillOpacity: 0.25}),
    }).addTo(map);
    schools = L.geoJSON(layers.schools, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, {
        radius: f.properties.is_core ? 8 : 5, weight: f.properties.is_core ? 3 : 1, color: f.properties.is_core ? "#222" : "#fff",
        fillColor: f.properties.district ? colour(f.properties.district) : "#000", fillOpacity: 0.95,
        className: "school" + (f.properties.is_core ? " core" : ""),
      }),
      onEachFeature: (f, layer) => {
        layer.options.schoolId = f.properties.school_id;
        layer.getElement && layer.on("add", () => layer.getElement().setAttribute("data-school", f.properties.school_id));
        layer.bindTooltip(() => Object.assign(document.createElement("span"), {textContent: f.properties.name}));
        layer.on("click", () => layer.bindPopup(popup(f.properties)).openPopup());
      },
    }).addTo(map);
    if (fit) map.fitBounds(territories.getBounds().isValid() ? territories.getBounds() : schools.getBounds());
    paintSwatches();
  }

  function popup(school) {
    const node = document.getElementById("school-popup").content.firstElementChild.cloneNode(true);
    node.querySelector(".school-name").textContent = school.name;
    node.querySelector(".school-district").textContent = school.district_name || "—";
    const select = node.querySelector(".move-target");
    Object.keys(cores).sort().forEach((key) => {
      if (key === school.district) return;
      const option = document.createElement("option");
      option.value = cores[key].school_id;
      option.textContent = cores[key].district_name;
      select.append(option);
    });
    node.querySelector(".move").disabled = school.is_core;
    select.disabled = school.is_core;
    node.querySelector(".move").addEventListener("click", () => edit({op: "move", school: school.school_id, core: select.value},
      school.name + " → " + select.selectedOptions[0].textContent));
    node.querySelector(".make-core").disabled = school.is_core || !school.district;
    node.querySelector(".make-core").addEventListener("click", () => edit({op: "core", school: school.school_id},
      school.name + " ★"));
    return node;
  }

  function edit(operation, label) {
    map.closePopup();
    edits.push({...operation, label});
    score();
  }

  function showEdits() {
    const list = document.getElementById("edit-list");
    list.replaceChildren(...(edits.length ? edits.map((e) => {
      const li = document.createElement("li");
      li.textContent = e.label;
      return li;
    }) : [Object.assign(document.createElement("li"), {className: "empty", textContent: list.dataset.empty})]));
    document.getElementById("undo-edits").disabled = !edits.length;
  }

  function score() {
    showEdits();
    plan.classList.add("scoring");
    fetch(plan.dataset.score, {
      method: "POST",
      headers: {"Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf()},
      body: JSON.stringify({edits: edits.map(({label, ...e}) => e)}),
    }).then((r) => r.json().then((body) => ({ok: r.ok, body})))
      .then(({ok, body}) => {
        plan.classList.remove("scoring");
        if (!ok) { edits.pop(); showEdits(); alert(body.error); return; }
        draw(body.layers, false);
        document.getElementById("figures").innerHTML = body.figures;
        document.getElementById("violations").innerHTML = body.violations;
        document.getElementById("student-minutes").textContent = body.student_minutes;
        paintSwatches();
      });
  }

  document.getElementById("undo-edits").addEventListener("click", () => { edits.length = 0; score(); });
  document.querySelectorAll("form[data-edits-form]").forEach((form) => form.addEventListener("submit", () => {
    form.querySelector('input[name="edits"]').value = edits.length ? JSON.stringify(edits.map(({label, ...e}) => e)) : "";
  }));

  fetch(plan.dataset.layers, {headers: {Accept: "application/json"}}).then((r) => r.json()).then((layers) => draw(layers, true));
})();
