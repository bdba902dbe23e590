"""The printed 学区划分图示: A4 landscape PDF and 300-dpi PNG, CJK text, same bytes every time."""

from __future__ import annotations

import io
import os
import re

import pytest
from PIL import Image

import maps.figure
from maps.figure import A4_LANDSCAPE_IN, PNG_DPI, _nice_length, figure_bytes, render_plan_figure, save_figure
from maps.render import plan_colors
from tests.test_maps import NOTICE, TITLE, make_context, make_plan

A4_POINTS = (841.89, 595.28)
MIN_COLOURS = 50
MIN_INKED_SHARE = 0.2  # of the page not white


def cjk_font_required() -> None:
    if maps.figure.cjk_font_name() is None:
        message = "no CJK font installed (apt-get install fonts-noto-cjk)"
        if "CI" in os.environ:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def draw(**options):
    schools, districts = make_plan()
    context = make_context(districts)
    return render_plan_figure(schools, districts, plan_colors(schools, districts), title=TITLE, notice=NOTICE,
                              roads=context["roads"], townships=context["townships"], **options)


@pytest.fixture(scope="module")
def figure():
    cjk_font_required()
    return draw()


@pytest.fixture(scope="module")
def png(figure) -> bytes:
    return figure_bytes(figure, "png")


@pytest.fixture(scope="module")
def pdf(figure) -> bytes:
    return figure_bytes(figure, "pdf")


def test_png_is_a4_landscape_at_300_dpi_and_not_blank(png):
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == pytest.approx((A4_LANDSCAPE_IN[0] * PNG_DPI, A4_LANDSCAPE_IN[1] * PNG_DPI), abs=1)
        assert image.info["dpi"] == pytest.approx((PNG_DPI, PNG_DPI), abs=0.01)
        rgb = image.convert("RGB")
        small = rgb.resize((rgb.width // 8, rgb.height // 8))
        colours = small.getcolors(maxcolors=small.width * small.height)
        inked = sum(count for count, colour in colours if colour != (255, 255, 255)) / (small.width * small.height)
    assert len(colours) > MIN_COLOURS
    assert inked > MIN_INKED_SHARE


def test_pdf_is_one_a4_landscape_page_with_an_embedded_cjk_font(pdf):
    assert pdf.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox \[ *([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+) *\]", pdf)
    assert len(boxes) == 1
    x0, y0, x1, y1 = (float(value) for value in boxes[0])
    assert (x1 - x0, y1 - y0) == pytest.approx(A4_POINTS, abs=0.5)
    fonts = re.findall(rb"/BaseFont /([A-Z]{6}\+)?([\w-]+)", pdf)
    assert any(name.startswith(b"NotoSansCJK") for _, name in fonts)
    assert b"/FontFile2" in pdf  # the glyphs are in the file, not only named


def test_no_date_or_version_in_the_files(figure, png, pdf):
    # (the demo's rerun test checks the bytes of two runs are equal)
    assert figure_bytes(figure, "png") == png
    assert b"CreationDate" not in pdf and b"matplotlib" not in pdf.lower()
    assert b"Software" not in png and b"tIME" not in png


def test_title_notice_legend_and_scale_are_drawn(figure):
    texts = [text.get_text() for text in figure.findobj(match=lambda artist: hasattr(artist, "get_text"))]
    assert TITLE in texts and NOTICE in texts
    schools, districts = make_plan()
    for district in districts.itertuples():
        assert any(text.startswith(f"{district.district}  {district.district_name} · {district.core_name}") for text in texts)
    assert "北" in texts and "0" in texts and any(text.endswith("公里") for text in texts)


def test_without_a_cjk_font_it_warns_and_writes_latin(monkeypatch):
    monkeypatch.setattr(maps.figure, "cjk_font_name", lambda: None)
    with pytest.warns(UserWarning, match="no CJK font"):
        figure = draw()
    texts = [text.get_text() for text in figure.findobj(match=lambda artist: hasattr(artist, "get_text"))]
    assert all(ord(char) < 0x2E80 for text in texts for char in text)
    assert any(text.startswith("D01  D01") for text in texts)  # names fall back to keys
    assert b"NotoSansCJK" not in figure_bytes(figure, "pdf")


def test_save_figure_writes_by_suffix(figure, png, tmp_path):
    assert save_figure(figure, tmp_path / "map.png").read_bytes() == png
    with pytest.raises(ValueError, match=".png or .pdf"):
        save_figure(figure, tmp_path / "map.svg")


@pytest.mark.parametrize(("limit", "length"), [(23_456.0, 20_000.0), (999.0, 500.0), (1_000.0, 1_000.0), (7.5, 5.0)])
def test_scale_bar_takes_a_round_length(limit, length):
    assert _nice_length(limit) == length
