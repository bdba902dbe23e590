"""Offline HTML for folium maps: Leaflet and its plugins inlined, no network needed to open the page.

folium links Leaflet, jQuery, Bootstrap, font-awesome and awesome-markers from CDNs. Planners
open our maps on machines without internet, so a saved map carries its own copy of Leaflet
(JS, CSS and marker images as data URIs) taken from the ``django-js-lib-leaflet`` package,
and of each plugin it uses, and links nothing else.

A plugin element names the offline copies of the files it links in a ``vendored_files``
attribute, ``{CDN url: path under maps/vendor/}`` (see :mod:`maps.plugins`); the files are
inlined with the images their CSS refers to. Build maps with :func:`offline_map` (it links only
Leaflet) and draw with Leaflet-only elements (``CircleMarker``, ``PolyLine``, ``DivIcon``, our own
popups): folium's ``Popup``, ``Icon`` and ``Map.keep_in_front`` call jQuery or awesome-markers,
which are not shipped. :func:`offline_html` refuses a map that still links any other remote
script or stylesheet.
"""

from __future__ import annotations

import base64
import functools
import importlib.resources
import os
import posixpath
import re
from collections.abc import Iterator
from importlib.resources.abc import Traversable
from pathlib import Path

import folium
from branca.element import Element, Figure

from gis.files import write_text_atomic

__all__ = [
    "LEAFLET_VERSION",
    "VENDORED_ATTRIBUTE",
    "OfflineAssetError",
    "leaflet_inline_css",
    "leaflet_inline_js",
    "offline_html",
    "offline_map",
    "save_map",
    "vendored_inline_text",
]

#: Leaflet release shipped by ``django-js-lib-leaflet`` 1.9.4.x.
LEAFLET_VERSION = "1.9.4"

_ASSET_PACKAGE = "js_lib_leaflet"
_ASSET_DIR = ("static", "js_lib_leaflet")
_ASSET_PIP_NAME = "django-js-lib-leaflet"
#: Package folder of the vendored plugin files.
_VENDOR_PACKAGE, _VENDOR_DIR = "maps", "vendor"
#: Attribute by which an element names the offline copies of the files it links.
VENDORED_ATTRIBUTE = "vendored_files"
_MEDIA_TYPES = {".png": "image/png", ".gif": "image/gif", ".svg": "image/svg+xml"}

#: Names folium's ``JSCSSMixin`` gives the Leaflet links; the only links an offline map keeps.
_LEAFLET_JS_NAME = "leaflet"
_LEAFLET_CSS_NAME = "leaflet_css"

#: Images Leaflet's default ``L.Icon.Default`` marker uses, by option name.
_DEFAULT_ICON_IMAGES = {
    "iconUrl": "marker-icon.png",
    "iconRetinaUrl": "marker-icon-2x.png",
    "shadowUrl": "marker-shadow.png",
}

# Tags exactly as branca's JavascriptLink and CssLink render them.
_SCRIPT_LINK = re.compile(r'<script src="(?P<url>[^"]*)"></script>')
_CSS_LINK = re.compile(r'<link rel="stylesheet" href="(?P<url>[^"]*)"/>')
# Any remote script or stylesheet, however written; an offline page must contain none.
_REMOTE_ASSET = re.compile(
    r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?P<url>(?:https?:)?//[^\"'\s>]+)",
    re.IGNORECASE,
)
# A relative image in CSS: url(images/x.png), url("../images/x.gif"), url(icon.svg).
_CSS_IMAGE_URL = re.compile(r"url\((?P<quote>['\"]?)(?P<file>(?![a-z]+:)[\w./@-]+\.(?:png|gif|svg))(?P=quote)\)")
_SOURCE_MAP_COMMENT = re.compile(r"^\s*/[/*][#@] sourceMappingURL=.*$", re.MULTILINE)
# folium names every element ``<kind>_<32 hex digits>`` from os.urandom.
_ELEMENT_ID = re.compile(r"(?<=_)(?P<id>[0-9a-f]{32})(?![0-9a-f])")
# Keys under which rendering files an element's header/html/script output in the Figure;
# plain ``Element``s a caller adds by hand are keyed ``element_<id>`` and are kept.
_RENDER_OUTPUT_KEY = re.compile(r"^(?!element_)[a-z0-9_]+_[0-9a-f]{32}$")


class OfflineAssetError(ValueError):
    """A map links a remote script or stylesheet that has no offline copy."""


def _asset_dir() -> Traversable:
    """Return the folder holding Leaflet's static files."""
    try:
        root = importlib.resources.files(_ASSET_PACKAGE)
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"offline maps need Leaflet's files: pip install {_ASSET_PIP_NAME}"
        ) from exc
    return root.joinpath(*_ASSET_DIR)


def _vendor_dir() -> Traversable:
    """Return the folder holding the vendored plugin files."""
    return importlib.resources.files(_VENDOR_PACKAGE).joinpath(_VENDOR_DIR)


def _read_asset(name: str, root: Traversable | None = None) -> bytes:
    """Read a file under ``root`` (default: Leaflet's static files), ``name`` in POSIX form."""
    folder = root if root is not None else _asset_dir()
    return folder.joinpath(*posixpath.normpath(name).split("/")).read_bytes()


def _read_text_asset(name: str, root: Traversable | None = None) -> str:
    """Read a text file with ``\n`` line endings (leaflet.css ships CRLF)."""
    return _read_asset(name, root).decode("utf-8").replace("\r\n", "\n")


def _data_uri(name: str, root: Traversable | None = None) -> str:
    """Return an image under ``root`` as a base64 ``data:`` URI."""
    media_type = _MEDIA_TYPES[posixpath.splitext(name)[1].lower()]
    encoded = base64.b64encode(_read_asset(name, root)).decode("ascii")
    return f"data:{media_type};base64,{encoded}"


def _inline_css_images(css: str, name: str, root: Traversable | None = None) -> str:
    """Replace the relative image URLs of the stylesheet ``name`` with data URIs."""
    folder = posixpath.dirname(name)
    return _CSS_IMAGE_URL.sub(
        lambda match: f'url("{_data_uri(posixpath.join(folder, match["file"]), root)}")', css
    )


def _strip_source_maps(code: str) -> str:
    """Drop ``sourceMappingURL`` comments, which would point at files we do not ship."""
    return _SOURCE_MAP_COMMENT.sub("", code)


@functools.lru_cache(maxsize=1)
def leaflet_inline_js() -> str:
    """Return Leaflet's JS, plus a line pointing its default marker icon at inline images.

    Returns
    -------
    str
        JavaScript to put inside a ``<script>`` element.
    """
    code = _strip_source_maps(_read_text_asset("leaflet.js")).rstrip()
    icon_options = "".join(
        f'L.Icon.Default.prototype.options.{option}="{_data_uri(f"images/{image}")}";'
        for option, image in _DEFAULT_ICON_IMAGES.items()
    )
    # imagePath "" stops Leaflet from deriving icon URLs from the (now inline) stylesheet.
    return f'{code}\nL.Icon.Default.imagePath="";{icon_options}\n'


@functools.lru_cache(maxsize=1)
def leaflet_inline_css() -> str:
    """Return Leaflet's CSS with its images inlined as data URIs.

    Returns
    -------
    str
        CSS to put inside a ``<style>`` element.
    """
    return _inline_css_images(_strip_source_maps(_read_text_asset("leaflet.css")), "leaflet.css")


@functools.lru_cache(maxsize=None)
def vendored_inline_text(path: str) -> str:
    """Return a vendored plugin file (``path`` under ``maps/vendor/``) ready to inline.

    Source-map comments are dropped and a stylesheet's images become data URIs.

    Returns
    -------
    str
        JavaScript or CSS.
    """
    text = _strip_source_maps(_read_text_asset(path, _vendor_dir()))
    return _inline_css_images(text, path, _vendor_dir()) if path.endswith(".css") else text


def offline_map(**kwargs) -> folium.Map:
    """Create a folium map that links only Leaflet and has no tile layer.

    Parameters
    ----------
    **kwargs
        Passed to ``folium.Map``; ``tiles`` defaults to None (no network needed).

    Returns
    -------
    folium.Map
    """
    kwargs.setdefault("tiles", None)
    m = folium.Map(**kwargs)
    # Instance attributes: folium's class-level lists are shared by every map.
    m.default_js = [(name, url) for name, url in m.default_js if name == _LEAFLET_JS_NAME]
    m.default_css = [(name, url) for name, url in m.default_css if name == _LEAFLET_CSS_NAME]
    return m


def _inline_copies(root: Element) -> tuple[dict[str, str], dict[str, str]]:
    """The inline code for every script and stylesheet URL the tree links: Leaflet's, and the
    vendored files elements name in ``vendored_files``."""
    scripts: dict[str, str] = {}
    styles: dict[str, str] = {}
    for element in _walk(root):
        for name, url in getattr(element, "default_js", ()):
            if name == _LEAFLET_JS_NAME:
                scripts[url] = leaflet_inline_js()
        for name, url in getattr(element, "default_css", ()):
            if name == _LEAFLET_CSS_NAME:
                styles[url] = leaflet_inline_css()
        for url, path in getattr(element, VENDORED_ATTRIBUTE, {}).items():
            (styles if path.endswith(".css") else scripts)[url] = vendored_inline_text(path)
    return scripts, styles


def _walk(element: Element) -> Iterator[Element]:
    """Yield ``element`` and all its descendants, parents first."""
    yield element
    for child in element._children.values():
        yield from _walk(child)


def _inline_links(page: str, scripts: dict[str, str], styles: dict[str, str]) -> str:
    """Replace the ``<script src>`` and ``<link>`` tags of known URLs with inline copies."""

    def inline_script(match: re.Match) -> str:
        code = scripts.get(match["url"])
        return match[0] if code is None else f"<script>{code}</script>"

    def inline_style(match: re.Match) -> str:
        css = styles.get(match["url"])
        return match[0] if css is None else f"<style>{css}</style>"

    page = _SCRIPT_LINK.sub(inline_script, page)
    return _CSS_LINK.sub(inline_style, page)


def _forget_previous_render(root: Figure) -> None:
    """Drop the output an earlier render left in the figure, so rendering again repeats it.

    folium creates a fresh ``ElementAddToElement`` (with a fresh random name) each time a layer
    renders, so without this a second render would append every ``addTo`` call again; and the
    links plugins add by name would keep their first place while the rest moved after them.
    """
    links = {name for element in _walk(root) for name, _ in (*getattr(element, "default_js", ()), *getattr(element, "default_css", ()))}
    for section in (root.header, root.html, root.script):
        stale = [key for key in section._children if _RENDER_OUTPUT_KEY.match(key) or (section is root.header and key in links)]
        for key in stale:
            del section._children[key]


def _renumber_element_ids(page: str) -> str:
    """Replace folium's random element ids with 1, 2, 3... in order of first appearance."""
    numbers: dict[str, str] = {}

    def number(match: re.Match) -> str:
        return numbers.setdefault(match["id"], str(len(numbers) + 1))

    return _ELEMENT_ID.sub(number, page)


def _check_no_remote_assets(page: str) -> None:
    """Raise if the page still loads a script or stylesheet over the network."""
    remote = sorted({match["url"] for match in _REMOTE_ASSET.finditer(page)})
    if remote:
        raise OfflineAssetError(
            f"the map links remote files with no offline copy: {', '.join(remote)}; "
            "build it with maps.assets.offline_map(), use Leaflet-only elements "
            "(CircleMarker, DivIcon, maps' own popups) instead of folium Popup/Icon, and plugins "
            "from maps.plugins (or vendor the plugin's files and name them in vendored_files)"
        )


def offline_html(m: folium.Map) -> str:
    """Render a map as one standalone HTML page that needs no network.

    Leaflet's JS and CSS are inlined, and folium's random element ids are replaced by
    counters, so the same map always gives the same bytes.

    Parameters
    ----------
    m : folium.Map
        Map to render, best made by :func:`offline_map`.

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    OfflineAssetError
        If the map links any remote script or stylesheet other than Leaflet.
    """
    root = m.get_root()
    if not isinstance(root, Figure):
        raise TypeError("the map must belong to a branca Figure (folium.Map always does)")
    scripts, styles = _inline_copies(root)
    _forget_previous_render(root)
    page = _inline_links(root.render(), scripts, styles)
    _check_no_remote_assets(page)
    return _renumber_element_ids(page)


def save_map(m: folium.Map, path: str | os.PathLike) -> Path:
    """Write a map as standalone offline HTML, atomically.

    Parameters
    ----------
    m : folium.Map
        Map to save.
    path : str or os.PathLike
        Destination ``.html`` file; its folder is created if missing.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    return write_text_atomic(path, offline_html(m))
