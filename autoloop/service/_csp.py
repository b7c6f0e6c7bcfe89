"""The Content-Security-Policy of the report page: only the page's own scripts run.

The report is one self-contained page with plotly inlined, and it shows text that came from a
tenant or a candidate (column names, failure messages, artifacts, LLM replies), escaped. As a
second wall, the page is served with a policy that runs exactly the inline scripts the
renderer wrote (by their sha256), nothing injected, no handler attribute; it loads nothing
from anywhere (no network at all), and may not be framed. plotly builds some functions at
run time, hence ``'unsafe-eval'`` (an injected string still never becomes a script).
"""

from __future__ import annotations

import base64
import hashlib
import re

_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def report_headers(html: str) -> dict[str, str]:
    """Headers for serving the report ``html``: its CSP, no MIME sniffing, no framing."""
    hashes = sorted({_sha256(body) for body in _SCRIPT.findall(html) if body.strip()})
    script_src = " ".join(["'unsafe-eval'", *(f"'sha256-{h}'" for h in hashes)])
    policy = (
        f"default-src 'none'; script-src {script_src}; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
        "connect-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}


def _sha256(body: str) -> str:
    return base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
