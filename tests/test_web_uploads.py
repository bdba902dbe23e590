"""The web application's studies and its safety layer through FastAPI's TestClient: uploads checked by content,
size limits, names never used as paths, every value escaped, CSRF, error pages without tracebacks."""

from __future__ import annotations

import bz2
import html
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from webhelpers import csrf, page_text

from data.demo import ensure_demo
from web import create_app
from web.security import CSRF_COOKIE, MAX_FORM_BYTES
from web.uploads import MIB, TABLE_UPLOAD

HOSTILE_NAME = '<img src=x onerror="alert(1)">学区'


@pytest.fixture(scope="module")
def demo():
    return ensure_demo()


@pytest.fixture()
def web(tmp_path):
    app = create_app(tmp_path / "data")
    with TestClient(app) as client:
        yield app, client


def upload(client, osm: tuple, schools: tuple, *, name: str = "县", coords: str = "wgs84", token: str | None = None):
    data = {"csrf_token": csrf(client) if token is None else token, "name": name, "coords": coords, "network": "drive"}
    return client.post("/studies/upload", data=data, files={"osm": osm, "schools": schools}, follow_redirects=False)


def study_count(app) -> int:
    return len(app.state.xuequ.store.studies())


def test_home_page_has_both_forms_a_csrf_cookie_and_safety_headers(web):
    _, client = web
    response = client.get("/")
    assert response.status_code == 200
    assert 'id="demo-form"' in response.text and 'id="upload-form"' in response.text
    token = client.cookies[CSRF_COOKIE]
    assert f'name="csrf_token" value="{token}"' in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


def test_leaflet_is_served_from_the_local_package(web):
    _, client = web
    js, css = client.get("/assets/leaflet.js"), client.get("/assets/leaflet.css")
    assert js.status_code == css.status_code == 200
    assert "L.Icon.Default" in js.text and ".leaflet-container" in css.text and "data:image/png;base64" in css.text


def test_demo_study_shows_what_was_read(web, demo):
    app, client = web
    response = client.post("/studies/demo", data={"csrf_token": csrf(client), "name": HOSTILE_NAME}, follow_redirects=False)
    assert response.status_code == 303
    app.state.xuequ.runner.wait()
    page = client.get(response.headers["location"])
    table = pd.read_csv(demo.schools, encoding="utf-8-sig")
    text = page_text(page.text)
    for label, count in table["学段"].value_counts().items():
        assert f"{label} {count}" in text
    assert f'id="n-schools">{len(table)}<' in page.text
    assert f'id="n-cores">{(table["是否优质"] == "是").sum()}<' in page.text
    roads = app.state.xuequ.inputs.get(app.state.xuequ.store.study(1)).roads
    assert f"{roads.n_nodes:,}" in text and f"{len(roads.edges):,}" in text
    assert "<img src=x" not in page.text and "&lt;img src=x" in page.text  # the name is shown, escaped
    assert "<img src=x" not in client.get("/").text


def test_a_post_without_the_csrf_token_is_refused(web):
    app, client = web
    client.get("/")
    for token in ("", "forged-token-forged-token-forged-token-forged"):
        response = client.post("/studies/demo", data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 403 and "刷新页面" in response.text
    assert study_count(app) == 0


def test_an_upload_is_stored_under_our_names_whatever_it_was_called(web, demo, tmp_path):
    app, client = web
    osm_name, table_name = "../../../etc/<b onclick=x>roads.osm", "..\\..\\schools.png"
    response = upload(client, (osm_name, demo.osm.read_bytes()), (table_name, demo.schools.read_bytes()), name=HOSTILE_NAME)
    assert response.status_code == 303, response.text
    app.state.xuequ.runner.wait()
    study = app.state.xuequ.store.study(1)
    assert study["state"] == "ready"
    folder = app.state.xuequ.store.path(study["inputs"]["osm"]).parent
    assert folder.parent == app.state.xuequ.store.path("uploads")
    assert sorted(p.name for p in folder.iterdir()) == ["roads.osm", "schools.csv"]
    assert not list(tmp_path.glob("**/*.png")) and not (tmp_path / "etc").exists()
    assert study["inputs"]["osm_name"] == "<b onclick=x>roads.osm" and study["inputs"]["schools_name"] == "schools.png"
    page = client.get("/studies/1").text
    assert "<b onclick" not in page and "&lt;b onclick=x&gt;roads.osm" in page
    assert "<img src=x" not in page


@pytest.mark.parametrize("compress", ["bz2", "pbf"])
def test_compressed_osm_is_recognised_by_content(web, demo, compress, tmp_path):
    app, client = web
    if compress == "bz2":
        content, suffix = bz2.compress(demo.osm.read_bytes()), ".osm.bz2"
    else:
        pbf = tmp_path / "demo.osm.pbf"
        osmium = pytest.importorskip("osmium")
        with osmium.SimpleWriter(str(pbf)) as writer:
            for obj in osmium.FileProcessor(str(demo.osm)):
                writer.add(obj)
        content, suffix = pbf.read_bytes(), ".osm.pbf"
    response = upload(client, ("roads.bin", content), ("t.csv", demo.schools.read_bytes()))
    assert response.status_code == 303, response.text
    app.state.xuequ.runner.wait()
    assert app.state.xuequ.store.study(1)["state"] == "ready", app.state.xuequ.store.study(1)["error"]
    assert app.state.xuequ.store.study(1)["inputs"]["osm"].endswith(suffix)


def _xlsx(frame: pd.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.to_excel(out, index=False)
    return out.getvalue()


def test_an_xlsx_table_is_read(web, demo):
    app, client = web
    table = pd.read_csv(demo.schools, encoding="utf-8-sig", dtype=str)
    response = upload(client, ("a.osm", demo.osm.read_bytes()), ("schools.csv", _xlsx(table)))
    assert response.status_code == 303, response.text
    app.state.xuequ.runner.wait()
    assert app.state.xuequ.store.study(1)["inputs"]["schools"].endswith("schools.xlsx")
    assert app.state.xuequ.store.study(1)["summary"]["n_schools"] == len(table)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _broken_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()[:40]


@pytest.mark.parametrize(("field", "content", "message"), [
    ("schools", PNG, "PNG"),
    ("schools", b"", "empty"),
    ("schools", b'{"a": 1}', "not GeoJSON"),
    ("schools", _broken_zip(), "damaged zip"),
    ("schools", b"SQLite format 3\x00" + b"\x00" * 200, "not a GeoPackage"),
    ("schools", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xlsx"),
    ("osm", b"school_id,name\n1,a\n", "OSM"),
    ("osm", b"BZh91AY&SY" + b"\x07" * 300, "damaged bzip2"),
    ("osm", PNG, "PNG"),
])
def test_a_file_of_the_wrong_kind_is_refused_with_a_message(web, demo, field, content, message):
    app, client = web
    files = {"osm": ("r.osm", demo.osm.read_bytes()), "schools": ("s.csv", demo.schools.read_bytes())}
    files[field] = ("upload.osm" if field == "osm" else "upload.csv", content)
    response = upload(client, files["osm"], files["schools"])
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    assert "Traceback" not in response.text and study_count(app) == 0
    assert not any(app.state.xuequ.store.path("uploads").glob("*/*"))  # nothing left behind


def test_a_table_without_coordinates_is_refused_naming_the_columns(web, demo):
    app, client = web
    table = pd.read_csv(demo.schools, encoding="utf-8-sig", dtype=str).drop(columns=["经度", "纬度"])
    response = upload(client, ("r.osm", demo.osm.read_bytes()), ("my<table>.csv", table.to_csv(index=False).encode()))
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert "my<table>.csv" in text and ("经度" in text or "lon" in text)
    assert "/uploads/" not in text  # the stored path is never shown
    assert study_count(app) == 0


def test_a_corrupt_workbook_is_refused(web, demo):
    app, client = web
    workbook = bytearray(_xlsx(pd.read_csv(demo.schools, encoding="utf-8-sig", dtype=str)))
    with zipfile.ZipFile(io.BytesIO(bytes(workbook))) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    start = sheet.header_offset + 30 + len(sheet.filename)
    workbook[start:start + 200] = b"\xff" * 200  # the sheet's compressed data destroyed
    response = upload(client, ("r.osm", demo.osm.read_bytes()), ("s.xlsx", bytes(workbook)))
    assert response.status_code == 400 and "Traceback" not in response.text
    assert study_count(app) == 0


def test_an_oversize_table_is_refused(web, demo):
    app, client = web
    head = demo.schools.read_bytes()
    big = head + b"\n" * (TABLE_UPLOAD.max_bytes + 1 - len(head))
    response = upload(client, ("r.osm", demo.osm.read_bytes()), ("s.csv", big))
    assert response.status_code == 400 and f"{TABLE_UPLOAD.max_bytes // MIB} MB" in response.text
    assert study_count(app) == 0


def test_a_body_over_the_route_limit_is_refused_before_it_is_read(web):
    app, client = web
    token = csrf(client)
    body = {"csrf_token": token, "name": "x" * (MAX_FORM_BYTES + 10)}
    response = client.post("/studies/demo", data=body, follow_redirects=False)
    assert response.status_code == 413 and "MB" in response.text

    def chunks():  # no Content-Length: counted as it arrives
        yield f"csrf_token={token}&name=".encode()
        for _ in range(MAX_FORM_BYTES // 65536 + 2):
            yield b"y" * 65536

    response = client.post("/studies/demo", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"},
                           follow_redirects=False)
    assert response.status_code == 413
    assert study_count(app) == 0


def test_dropped_rows_are_listed_with_row_number_and_reason(web, demo):
    app, client = web
    table = pd.read_csv(demo.schools, encoding="utf-8-sig", dtype=str)
    table.loc[3, "经度"] = ""
    table.loc[7, "学校名称"], table.loc[7, "经度"] = "<b>远</b>小学", str(float(table.loc[7, "经度"]) + 1)  # far from every road
    response = upload(client, ("r.osm", demo.osm.read_bytes()), ("s.csv", table.to_csv(index=False).encode("utf-8-sig")))
    assert response.status_code == 303, response.text
    app.state.xuequ.runner.wait()
    summary = app.state.xuequ.store.study(1)["summary"]
    assert [row["row"] for row in summary["dropped"]] == [5, 9]  # spreadsheet rows: header is row 1
    assert summary["n_schools"] == len(table) - 2
    page = client.get("/studies/1").text
    assert 'id="dropped"' in page and "<b>远</b>" not in page and "&lt;b&gt;远&lt;/b&gt;小学" in page


def test_bad_form_values_and_links_get_error_pages_not_tracebacks(web, demo):
    app, client = web
    response = upload(client, ("r.osm", demo.osm.read_bytes()), ("s.csv", demo.schools.read_bytes()), coords="mars")
    assert response.status_code == 400 and "mars" in response.text
    response = upload(client, ("r.osm", demo.osm.read_bytes()), ("s.csv", demo.schools.read_bytes()), name="  ")
    assert response.status_code == 400
    for url, status in (("/studies/999", 404), ("/studies/abc", 404), ("/runs/5", 404), ("/versions/1", 404),
                        ("/proposals/1", 404), ("/nowhere", 404), ("/runs/1/files/plan.json", 404)):
        response = client.get(url)
        assert response.status_code == status, url
        assert 'id="error"' in response.text and "Traceback" not in response.text
    response = client.get("/studies/999", headers={"accept": "application/json"})
    assert response.status_code == 404 and response.json()["error"]
    response = client.post("/studies/upload", data={"csrf_token": csrf(client)})  # no files at all
    assert response.status_code == 400 and "osm" in response.text


def test_language_switch_and_local_redirects_only(web):
    _, client = web
    assert "新建" in client.get("/").text
    response = client.get("/lang/en", params={"next": "/"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "Create" in client.get("/").text and 'lang="en"' in client.get("/").text
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.get("/lang/zh", params={"next": target}, follow_redirects=False)
        assert response.headers["location"] == "/"
    assert "新建" in client.get("/").text


def test_everything_survives_a_restart(tmp_path, demo):
    data = tmp_path / "data"
    app = create_app(data)
    with TestClient(app) as client:
        client.post("/studies/demo", data={"csrf_token": csrf(client), "name": "甲"}, follow_redirects=False)
        app.state.xuequ.runner.wait()
    again = create_app(Path(data))
    with TestClient(again) as client:
        assert again.state.xuequ.store.study(1)["state"] == "ready"
        assert "甲" in client.get("/").text
