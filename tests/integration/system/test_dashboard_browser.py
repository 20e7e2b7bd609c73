"""The dashboard in a real browser: Debian's headless Chromium, driven by Playwright.

The page must draw its charts and the newest releases from live data. Its screenshot goes to the
test's temporary folder; with ``TUNESTREAM_DASHBOARD_PNG`` set (``make dashboard-png`` sets it to
docs/dashboard.png, the one the README shows) it is copied there too.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.support.system import SystemUnderTest, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

PUBLISH = "TUNESTREAM_DASHBOARD_PNG"
CHARTS = (
    "chart-rate",
    "chart-cycles",
    "chart-requests",
    "chart-topics",
    "chart-lag",
    "chart-distribution",
    "chart-trend",
    "chart-hourly",
    "chart-coverage",
)


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no chromium on the PATH: `make setup` installs Debian's chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def test_the_page_draws_charts_and_releases_from_live_data(
    system: SystemUnderTest, tables_with_data: dict[str, Any], browser: Browser, tmp_path: Path
) -> None:
    truth = system.truth_albums()
    wait_for(
        "a committed Spark batch",
        lambda: p if (p := system.api("kafka")).get("spark") else None,
        120,
    )
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(system.dashboard_url)
    # Two refreshes: the second draws over the first (Plotly.react), as it does all day.
    page.wait_for_function("Number(document.body.dataset.refreshed || 0) >= 2", timeout=60_000)

    for panel in ("producer", "kafka", "tables"):
        assert page.get_attribute(f"#status-{panel}", "class") == "chip ok", panel
    releases = page.locator("#release-list li")
    assert releases.count() == len(tables_with_data["releases"])
    first = releases.first
    album_id = first.get_attribute("data-album-id")
    assert album_id in truth
    assert first.locator(".title").inner_text() == truth[album_id]["name"]
    assert first.locator(".cover").count() == 1

    for chart in CHARTS:
        assert page.locator(f"#{chart} .main-svg").count() > 0, f"{chart} is not drawn"
    assert page.locator("#chart-distribution .boxlayer .trace").count() >= 1
    assert page.locator("#chart-hourly .barlayer .trace").count() >= 1
    assert page.locator("#chart-rate .scatterlayer .trace").count() >= 1
    assert page.locator("#chart-lag .barlayer .trace").count() >= 1
    assert page.locator("#chart-coverage .barlayer .trace").count() >= 1
    # Switching the feature redraws the box plots for it.
    page.locator("#feature-switch button", has_text="energy").click()
    expect(page.locator("#chart-distribution .gtitle")).to_contain_text("energy")
    assert errors == []

    page.locator("#feature-switch button", has_text="danceability").click()
    screenshot = tmp_path / "dashboard.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 50_000
    if published := os.environ.get(PUBLISH):
        shutil.copyfile(screenshot, published)
