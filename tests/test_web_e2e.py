"""The web application end to end: the real server process (uvicorn on a free local port) driven by headless Chromium.

A planner starts a study on the demo county, runs it, sees the map, moves one school and sees the
violation appear, saves two proposals made under different travel limits, sends one out for comment
(征求意见), compares them, downloads a GeoPackage and checks its layers; then the server is stopped and
started again, and both proposals are there with their statuses.

With ``XUEQU_SCREENSHOTS=DIR`` set, each page is also saved as a screenshot in ``DIR`` (the README's come from here).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pyogrio
import pytest
from webhelpers import SHORT_TIME_LIMIT

from partition.export import GPKG_LAYERS

ROOT = Path(__file__).resolve().parents[1]
#: Seconds the server may take to start (imports on a loaded machine) and a run to finish.
START_TIMEOUT_S = 180
RUN_TIMEOUT_MS = 300_000
SAVE_TIMEOUT_MS = 180_000
VIEWPORT = {"width": 1400, "height": 1000}
SCREENSHOTS = os.environ.get("XUEQU_SCREENSHOTS")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server(data_dir: Path):
    """``python app.py serve`` on a free local port until the block ends; yields its address."""
    port = free_port()
    log = open(data_dir.parent / f"server-{port}.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "serve", "--port", str(port), "--data-dir", str(data_dir)],
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, (data_dir.parent / f"server-{port}.log").read_text(errors="replace")
            try:
                with urllib.request.urlopen(base + "/", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
    assert "Traceback" not in (data_dir.parent / f"server-{port}.log").read_text(errors="replace")


def shot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"web-{name}.png"), full_page=False)


def run_study(page, limit: str) -> None:
    """From the study page: run the rules form at travel limit ``limit`` and wait for the plan's map."""
    page.fill("#opt-max_minutes", limit)
    page.fill("#opt-time_limit", SHORT_TIME_LIMIT)
    page.click("#start-run")
    page.wait_for_selector("#progress, #plan", timeout=30_000)
    if page.locator("#progress").count():
        shot(page, "progress")
    page.wait_for_selector("#plan-map path.school", timeout=RUN_TIMEOUT_MS)


def submit(page, button: str) -> None:
    """Click a form's button whose answer is written plan files (slow on a loaded machine) and wait for the new page."""
    with page.expect_navigation(timeout=SAVE_TIMEOUT_MS):
        page.click(button)


def member_of_smallest_district(page) -> tuple[str, str]:
    """A member school (id, 学区 key) of a 学区 with as few members as the rules allow: moving it breaks them."""
    return page.evaluate("""async () => {
        const layers = await (await fetch(document.getElementById("plan").dataset.layers)).json();
        const members = {};
        for (const f of layers.schools.features) {
            const p = f.properties;
            if (p.district && !p.is_core) (members[p.district] = members[p.district] || []).push(p.school_id);
        }
        const [district, ids] = Object.entries(members).sort((a, b) => a[1].length - b[1].length || (a[0] < b[0] ? -1 : 1))[0];
        return [ids[0], district];
    }""")


@pytest.mark.browser
def test_a_planner_works_through_the_web_application(browser, tmp_path):
    data_dir = tmp_path / "data"
    errors: list[str] = []
    with server(data_dir) as base:
        page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(base + "/")
        shot(page, "home")
        page.click("#demo-form button[type=submit]")
        page.wait_for_selector("#summary", timeout=120_000)  # the page looks again until the county is read
        assert int(page.inner_text("#n-schools")) > 100
        shot(page, "study")

        run_study(page, "30")
        shot(page, "run")
        assert page.locator("#plan-map path").count() > page.locator("#plan-map path.school").count()  # territories too
        assert page.inner_text("#violation-count") == "0"

        school, district = member_of_smallest_district(page)
        page.locator(f'#plan-map path[data-school="{school}"]').click(force=True)
        page.wait_for_selector(".leaflet-popup .move-target")
        target = page.locator(".leaflet-popup .move-target option").first.get_attribute("value")
        page.select_option(".leaflet-popup .move-target", target)
        page.click(".leaflet-popup button.move")
        page.wait_for_function("() => document.getElementById('violation-count').textContent !== '0'", timeout=120_000)
        assert page.locator("#violations li").count() >= 1
        assert page.locator("#edit-list li:not(.empty)").count() == 1
        shot(page, "edit")
        page.fill("#proposal-name", "方案甲 30分钟")
        submit(page, "#save-proposal button[type=submit]")
        page.wait_for_selector("#proposal-name")
        assert page.inner_text("#violation-count") != "0"  # the saved version keeps the edit and its violation
        first_version = page.url
        shot(page, "version")

        with page.expect_download() as download:
            page.click("#downloads a[href$='plan.gpkg']")
        gpkg = tmp_path / "plan.gpkg"
        download.value.save_as(gpkg)
        assert tuple(name for name, _ in pyogrio.list_layers(gpkg)) == GPKG_LAYERS

        offline = browser.new_page(viewport=VIEWPORT)  # the offline map, as this server serves it
        offline.on("pageerror", lambda error: errors.append(str(error)))
        offline.goto(base + page.locator("#downloads a[href$='map.html']").get_attribute("href"))
        offline.wait_for_selector(".leaflet-control-measure")
        assert offline.locator(".leaflet-overlay-pane path").count() >= int(page.inner_text("#n-districts"))
        offline.close()

        page.click("header nav a >> nth=0")  # back to the study
        run_study(page, "40")
        page.fill("#proposal-name", "方案乙 40分钟")
        submit(page, "#save-proposal button[type=submit]")
        page.wait_for_selector("#proposal-name")

        page.goto(first_version)
        page.click("header nav a >> nth=1")  # the proposal's page
        page.select_option("#status-select", "consultation")
        page.click("#status-button")
        page.wait_for_selector("#proposal-status.status-consultation")
        assert page.inner_text("#proposal-status") == "征求意见"
        shot(page, "proposal")

        page.click("header nav a >> nth=0")
        page.check("#compare-form input[name=v] >> nth=0")
        page.check("#compare-form input[name=v] >> nth=1")
        submit(page, "#compare-button")
        page.wait_for_selector("#compare-figures")
        figures = page.inner_text("#compare-figures")
        assert "方案甲 30分钟" in figures and "方案乙 40分钟" in figures
        assert page.locator("#compare-moves tbody tr").count() >= 1  # at least the school moved by hand
        shot(page, "compare")
        page.close()

    with server(data_dir) as base:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(base + "/studies/1")
        rows = page.locator("#proposals tbody tr")
        statuses = {rows.nth(i).locator("td >> nth=1").inner_text(): rows.nth(i).locator("td >> nth=2").inner_text()
                    for i in range(rows.count())}
        assert statuses == {"方案甲 30分钟": "征求意见", "方案乙 40分钟": "草案"}
        page.close()
    assert errors == []


@pytest.mark.slow
@pytest.mark.browser
def test_infeasible_rerun_core_change_adjusting_english_and_error_pages(browser, tmp_path):
    """The rest of the loop in the browser: a run without a plan reruns at the smallest limit, a school is
    made its 学区's core, the proposal is adopted and adjusted (动态调整: the diff against the adopted
    version), the English switch, and error pages for bad links."""
    errors: list[str] = []
    with server(tmp_path / "data") as base:
        page = browser.new_page(viewport=VIEWPORT)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(base + "/")
        page.click("#demo-form button[type=submit]")
        page.wait_for_selector("#summary", timeout=120_000)
        page.fill("#opt-max_minutes", "4")
        page.fill("#opt-time_limit", SHORT_TIME_LIMIT)
        page.click("#start-run")
        page.wait_for_selector("#infeasible", timeout=RUN_TIMEOUT_MS)
        assert "reaches no core within 4 min" in page.inner_text("#infeasible .reasons")
        smallest = re.search(r"\d+\.\d", page.inner_text("#smallest-limit")).group()
        assert float(smallest) > 4 and smallest in page.inner_text("#rerun")
        shot(page, "infeasible")
        page.click("#rerun")
        page.wait_for_selector("#plan-map path.school", timeout=RUN_TIMEOUT_MS)
        page.click("#rules-used summary")
        assert smallest in page.inner_text("#rules-used")  # the rerun's travel limit

        school, _ = member_of_smallest_district(page)
        page.locator(f'#plan-map path[data-school="{school}"]').click(force=True)
        page.click(".leaflet-popup button.make-core")
        page.wait_for_function("s => document.querySelector(`#plan-map path.core[data-school='${s}']`) !== null", arg=school,
                               timeout=120_000)
        assert page.locator("#edit-list li:not(.empty)").count() == 1
        page.fill("#proposal-name", "<b>采用</b>方案")
        submit(page, "#save-proposal button[type=submit]")
        page.wait_for_selector("#proposal-name")
        assert page.inner_text("#proposal-name") == "<b>采用</b>方案"  # shown as text, never as markup
        page.wait_for_selector(f"#plan-map path.core[data-school='{school}']")  # the version keeps the new core
        adopted = page.url

        page.click("header nav a >> nth=1")
        page.select_option("#status-select", "adopted")
        page.click("#status-button")
        page.wait_for_selector("#proposal-status.status-adopted")
        assert page.locator("#history li").count() == 2

        page.goto(adopted)
        moved, _ = member_of_smallest_district(page)
        page.locator(f'#plan-map path[data-school="{moved}"]').click(force=True)
        page.select_option(".leaflet-popup .move-target", index=0)
        page.click(".leaflet-popup button.move")
        page.wait_for_function("() => document.querySelectorAll('#edit-list li:not(.empty)').length === 1")
        page.wait_for_function("() => !document.getElementById('plan').classList.contains('scoring')", timeout=120_000)
        page.fill("#save-version input[name=note]", "动态调整")
        submit(page, "#save-version-button")
        page.wait_for_selector("#diff-adopted", timeout=120_000)
        assert page.locator("#diff-moves tbody tr").count() == 1 and f"({moved})" in page.inner_text("#diff-moves")
        shot(page, "adjusted")

        page.click("#lang-switch")
        page.wait_for_selector("html[lang=en]")
        assert "version 2" in page.inner_text("h1") and "Changes against the adopted version" in page.inner_text("#diff-adopted")
        page.click("#lang-switch")
        page.wait_for_selector("html[lang=zh-CN]")

        for path, status in (("/runs/9999", 404), ("/versions/abc", 404), ("/studies/1/compare?v=1", 400),
                             ("/runs/1/files/..%2F..%2Fxuequ.sqlite", 404)):
            response = page.goto(base + path)
            assert response.status == status and page.locator("#error").count() == 1, path
            assert "Traceback" not in page.content()
        shot(page, "error")
        page.close()
    assert errors == []
