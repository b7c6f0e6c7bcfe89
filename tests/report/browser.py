"""Headless Chromium (Debian's ``chromium`` package) for report tests: the page's DOM after its
scripts ran, the errors it raised, and a screenshot."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Runs before any other script: uncaught errors and console.error calls land in the DOM,
# where --dump-dom shows them.
PROBE = """<script>
window.__errors = [];
function __record(text) {
  window.__errors.push(String(text));
  document.documentElement.setAttribute("data-page-errors", JSON.stringify(window.__errors));
}
window.addEventListener("error", function (e) { __record(e.message || e); });
window.addEventListener("unhandledrejection", function (e) { __record(e.reason); });
var __consoleError = console.error;
console.error = function () { __record(Array.prototype.join.call(arguments, " ")); __consoleError.apply(console, arguments); };
</script>"""
# Virtual time lets every script and plotly's rendering finish before the dump or screenshot.
_BUDGET_MS = "15000"


@dataclass(frozen=True)
class Loaded:
    """What Chromium saw: the DOM after scripts ran, errors the page raised, console error lines."""

    dom: str
    page_errors: str | None
    console_errors: list[str]


def chromium() -> str | None:
    """Path of the ``chromium`` binary, if installed."""
    return shutil.which("chromium")


def _run(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = ["--headless", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={profile}", f"--virtual-time-budget={_BUDGET_MS}"]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to run as root inside its own sandbox
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=180, check=True)


def load(binary: str, page: Path, work: Path) -> Loaded:
    """Open ``page`` (with the error probe injected) and return its DOM, errors and console errors."""
    probed = work / f"probed-{page.name}"
    probed.write_text(page.read_text().replace("<head>", "<head>" + PROBE, 1))
    done = _run(binary, work / "profile-dom", "--enable-logging=stderr", "--v=0", "--dump-dom", probed.as_uri())
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line and ("ERROR" in line or "Uncaught" in line)]
    marker = 'data-page-errors="'
    start = done.stdout.find(marker)
    errors = None if start < 0 else done.stdout[start + len(marker) : done.stdout.find('"', start + len(marker) + 1)]
    return Loaded(done.stdout, errors, console)


def screenshot(binary: str, page: Path, out: Path, work: Path) -> list[str]:
    """Write a full-length screenshot of ``page`` to ``out``; returns console error lines."""
    done = _run(binary, work / "profile-shot", "--window-size=1280,4200", "--enable-logging=stderr", "--v=0", f"--screenshot={out}", page.as_uri())
    return [line for line in done.stderr.splitlines() if "CONSOLE" in line and ("ERROR" in line or "Uncaught" in line)]
