"""The report of a real small study opens in headless Chromium: no errors, every plot drawn, a screenshot."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from autoloop.report import FIGURES, render_report
from tests.report import browser

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        browser.chromium() is None, reason="needs Debian's chromium package (apt-get install chromium; scripts/test.sh installs it as root)"
    ),
]


def test_the_report_loads_without_errors_and_draws_every_plot(recommendation: dict[str, Any], tmp_path: Path):
    page = tmp_path / "report.html"
    page.write_text(render_report(recommendation))
    binary = browser.chromium()
    loaded = browser.load(binary, page, tmp_path)  # type: ignore[arg-type]
    assert loaded.page_errors is None and loaded.console_errors == []
    assert 'id="verdict"' in loaded.dom and 'id="costs"' in loaded.dom and 'id="diff"' in loaded.dom
    for fig_id in FIGURES:  # plotly marks a drawn plot's div and fills it with its SVG layers
        drawn = re.search(rf'<div id="{fig_id}" class="[^"]*js-plotly-plot[^"]*".*?<svg class="main-svg"', loaded.dom, re.S)
        assert drawn, f"plot {fig_id} was not drawn"
    shot = tmp_path / "report.png"
    assert browser.screenshot(binary, page, shot, tmp_path) == []  # type: ignore[arg-type]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_the_probe_sees_a_broken_page(tmp_path: Path):
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><head></head><body><script>console.error('drawn badly'); notDefined();</script></body></html>")
    loaded = browser.load(browser.chromium(), page, tmp_path)  # type: ignore[arg-type]
    assert loaded.page_errors is not None and "drawn badly" in loaded.page_errors and "notDefined" in loaded.page_errors
    assert loaded.console_errors, "Chromium's log shows the console errors too"
