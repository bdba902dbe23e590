"""Leaflet plugins for offline maps: full screen, measuring, school search.

Each element links its plugin's files at the CDN address folium uses, and names the vendored copy
of each in ``vendored_files`` (see :mod:`maps.assets`), so a saved page carries them inline.
The files are the npm releases in ``maps/vendor/`` (their README lists them).
"""

from __future__ import annotations

from collections.abc import Mapping

import folium
import folium.plugins
from folium.elements import JSCSSMixin
from folium.template import Template

__all__ = ["Fullscreen", "MeasureControl", "SchoolSearch"]

_CDN = "https://cdn.jsdelivr.net/npm/"
_MEASURE_BUILDS = {"zh": "cn", "en": "en"}  # leaflet-measure's name of each language's build


class Fullscreen(folium.plugins.Fullscreen):
    """folium's full-screen button (leaflet.fullscreen 3.0.0), inlined from ``maps/vendor/``."""

    vendored_files = {
        # folium links the minified name; the npm release ships the same code unminified.
        f"{_CDN}leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": "leaflet.fullscreen-3.0.0/Control.FullScreen.js",
        f"{_CDN}leaflet.fullscreen@3.0.0/Control.FullScreen.css": "leaflet.fullscreen-3.0.0/Control.FullScreen.css",
    }


class MeasureControl(folium.plugins.MeasureControl):
    """folium's distance and area tool on leaflet-measure 3.1.0, in the map's language.

    Parameters
    ----------
    lang : {"zh", "en"}
        The language of its buttons and results.
    **kwargs
        Passed to ``folium.plugins.MeasureControl``.
    """

    def __init__(self, lang: str = "zh", **kwargs):
        super().__init__(**kwargs)
        script = f"{_CDN}leaflet-measure@3.1.0/dist/leaflet-measure.{_MEASURE_BUILDS[lang]}.js"
        stylesheet = f"{_CDN}leaflet-measure@3.1.0/dist/leaflet-measure.css"
        self.default_js = [("leaflet_measure_js", script)]
        self.default_css = [("leaflet_measure_css", stylesheet)]
        self.vendored_files = {
            script: f"leaflet-measure-3.1.0/dist/leaflet-measure.{_MEASURE_BUILDS[lang]}.js",
            stylesheet: "leaflet-measure-3.1.0/dist/leaflet-measure.css",
        }


class SchoolSearch(JSCSSMixin):
    """A search box (leaflet-search 2.9.7) finding schools by any part of their name.

    It searches the markers of ``layer`` by their ``searchName`` option and opens the popup of the
    school chosen; the list of matches shows names as text (``planmap.js``'s ``xuequ.addSearch``).

    Parameters
    ----------
    layer : folium.FeatureGroup
        The school layer.
    words : mapping
        ``placeholder`` and ``notFound`` texts.
    zoom : float
        The least zoom to show a found school at.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = xuequ.addSearch(
                {{ this._parent.get_name() }}, {{ this.layer.get_name() }}, {{ this.options|tojson }}
            );
        {% endmacro %}
        """
    )
    default_js = [("leaflet_search_js", f"{_CDN}leaflet-search@2.9.7/dist/leaflet-search.min.js")]
    default_css = [("leaflet_search_css", f"{_CDN}leaflet-search@2.9.7/dist/leaflet-search.min.css")]
    vendored_files = {
        f"{_CDN}leaflet-search@2.9.7/dist/leaflet-search.min.js": "leaflet-search-2.9.7/dist/leaflet-search.min.js",
        f"{_CDN}leaflet-search@2.9.7/dist/leaflet-search.min.css": "leaflet-search-2.9.7/dist/leaflet-search.min.css",
    }

    def __init__(self, layer: folium.FeatureGroup, words: Mapping[str, str], *, zoom: float):
        super().__init__()
        self._name = "SchoolSearch"
        self.layer = layer
        self.options = {"placeholder": words["placeholder"], "notFound": words["notFound"], "zoom": zoom}
