"""Shared pytest fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# --- browser: a real Chromium driven by Playwright (maps tests) ---------------------------

CHROMIUM_PATH = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_INSTALL_HINT = "apt-get install -y chromium fonts-noto-cjk && pip install playwright"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``browser`` marker."""
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")


def _browser_unavailable(reason: str) -> None:
    """Skip on a developer machine; fail under CI, where the browser tests must run."""
    message = f"{reason} ({BROWSER_INSTALL_HINT})"
    if "CI" in os.environ:
        pytest.fail(f"CI is set and the browser tests cannot run: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless Debian Chromium, shared by the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_unavailable("playwright is not installed")
    if not CHROMIUM_PATH.exists():
        _browser_unavailable(f"no Chromium at {CHROMIUM_PATH}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


# --- the demo county through the command line, once per session ------------------------------


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory) -> Path:
    """The folder ``python app.py demo`` wrote (default rules); tests only read it."""
    import app

    out = tmp_path_factory.mktemp("demo") / "out"
    assert app.main(["demo", "--out", str(out)]) == 0
    return out


# --- cache: tests never touch the user's cache folder -------------------------------------


@pytest.fixture(autouse=True, scope="session")
def _private_cache_home(tmp_path_factory) -> Iterator[None]:
    """Point ``$XDG_CACHE_HOME`` at a temporary folder for the whole session."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache-home"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


# --- a planner's plan: the demo plan with three schools moved, scored through the command line ------


@pytest.fixture(scope="session")
def moved_plan(demo_out, tmp_path_factory) -> dict:
    """``python app.py demo --plan FILE`` on a hand-made 学区 list: the demo plan with three members moved.

    Returns the folder it wrote (``out``, named ``proposal``), the plan file, and the three moves as
    moves.csv should list them.
    """
    import pandas as pd

    import app

    plan = pd.read_csv(demo_out / "plan.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    members = plan[plan["is_core"] == "False"]
    moves = []
    for k, school in enumerate(members.iloc[[0, 9, 18]].itertuples()):
        target = members[members["district"] != school.district].iloc[k]
        plan.loc[plan["school_id"] == school.school_id, ["district_name", "core_school_id"]] = [target.district_name,
                                                                                               target.core_school_id]
        moves.append({"school_id": school.school_id, "name": school.name, "plan": "proposal",
                      "from_district": school.district_name, "to_district": target.district_name})
    folder = tmp_path_factory.mktemp("moved")
    table = plan[["school_id", "name", "district_name", "core_school_id"]]
    table.columns = ["学校标识码", "学校名称", "学区", "核心校标识码"]
    table.to_csv(folder / "proposal.csv", index=False, encoding="utf-8-sig")
    out = folder / "proposal"
    assert app.main(["demo", "--plan", str(folder / "proposal.csv"), "--out", str(out)]) == 0
    return {"out": out, "file": folder / "proposal.csv", "moves": sorted(moves, key=lambda m: m["school_id"])}
