"""The report page: one self-contained HTML file (plotly's JS inlined once, no network)."""

from __future__ import annotations

import difflib
import html
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from autoloop.failures import FailureTally
from autoloop.llm import dollars_text
from autoloop.report import _figures
from autoloop.report._data import StudyData

# Figure id -> builder; the ids are what a browser test looks for.
FIGURES = {
    "fig-curves": _figures.validation_curves,
    "fig-allocation": _figures.allocation,
    "fig-val-test": _figures.validation_vs_test,
    "fig-gaps": _figures.gaps,
}
FLAG_SENTENCE = (
    "Meta-overfitting means the loop fits the validation split at the expense of held-out test: it is flagged when, "
    "for the pick, test fell while validation rose in at least half of its runs, or its val-to-test gap grew beyond "
    "the starting artifact's own gap at 95%."
)
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}.verdict h2{margin-top:0}
table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.verdict{background:#f4f8ff;padding:1em;border-left:4px solid #36c}
.flag{font-weight:bold}.flag.on{color:#b00}.flag.off{color:#070}
pre{background:#f8f8f8;padding:1em;overflow:auto;font-size:12px}.add{color:#070}.del{color:#b00}.hunk{color:#36c}
"""


def render(data: StudyData) -> str:
    """The whole page for ``data``."""
    figures = [_figure(fig_id, build(data), first=i == 0) for i, (fig_id, build) in enumerate(FIGURES.items())]
    curves, allocation, val_test, gaps = figures
    title = f"autoloop study report: {data.task}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{_e(title)}</h1>
{_verdict(data)}
<h2>Validation curves</h2>
{curves}
<h2>Budget allocation</h2>
{allocation}
<h2>Validation vs test, and the val-to-test gap of each run</h2>
{val_test}
{gaps}
{_flag(data)}
<h2>Cost per setting</h2>
{_costs(data)}
<h2>Runs: re-validation score and cost</h2>
{_runs(data)}
<h2>The pick's best artifact</h2>
{_artifact(data)}
</body></html>
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _figure(fig_id: str, fig: go.Figure, *, first: bool) -> str:
    # The first figure carries plotly.js (inlined); the others reuse it.
    return pio.to_html(fig, include_plotlyjs=first, full_html=False, div_id=fig_id, config={"displaylogo": False})


def _shown(interval: dict[str, Any]) -> str:
    ci = interval.get("note") if interval["ci95"] is None else "95% CI {:.4f}..{:.4f}".format(*interval["ci95"])
    return f"{interval['mean']:.4f} ({ci}, n={interval['n']} {interval.get('unit', 'seeds')})"


def _returned(interval: dict[str, Any] | None) -> str:
    if interval is None:
        return "not scored (no run of the pick scored test)"
    ci = interval["ci95"]
    same = ci is not None and ci[0] == ci[1]  # a t-interval over identical values: zero width, not certainty
    return f"{_shown(interval)}, run {interval['run_id']}" + ("; every test instance scored the same" if same else "")


def _verdict(data: StudyData) -> str:
    verdict = data.verdict
    rows = [
        ("pick", data.pick),
        ("scores", data.metric.direction),
        ("settings", ", ".join(f"{k}={v}" for k, v in data.settings.items())),
        (f"validation {data.metric.name}", _shown(data.validation)),
        (f"test {data.metric.name}", _shown(data.test) + (f"; {data.test['source']}" if data.test.get("source") else "")),
        (f"returned artifact's test {data.metric.name}", _returned(data.returned_test)),
        ("strategy", data.strategy or "-"),
        ("search ended by", data.stop_reason),
    ]
    if verdict is not None:
        p_best = verdict.get("p_best")
        rows.insert(1, ("P(pick is the best)", "not known yet (no setting has two seeds)" if p_best is None else f"{p_best:.2f}"))
        names = [data.name_of(s) for s in verdict.get("indistinguishable", [])]
        rows.insert(2, (f"indistinguishable at {verdict['confidence']:.0%}", ", ".join(names) or "-"))
    spent, estimate = data.spent, data.estimate
    if spent:
        rows.append(("spent", f"{spent.get('iterations')} iterations, {spent.get('tokens')} tokens, "
                              f"{dollars_text(spent.get('dollars'))}, {spent.get('seconds')} s"))
    if estimate:
        tokens = estimate["tokens"]["prompt"] + estimate["tokens"]["completion"]
        rows.append(("estimated before the first run", f"{estimate['iterations']} iterations, {tokens} tokens, "
                     f"{dollars_text(estimate['dollars'])}, {estimate['seconds']} s{_ratio(spent, estimate, tokens)}"))
    text = f"<p>{_e(verdict['text'])}</p>" if verdict is not None else "<p>No verdict: no setting could be compared.</p>"
    text += "".join(f'<p class="flag on" id="warning">Warning: {_e(w)}</p>' for w in data.warnings)
    table = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<div class="verdict" id="verdict"><h2>Verdict</h2>{text}<table>{table}</table></div>'


def _flag(data: StudyData) -> str:
    check = data.meta_overfitting
    flagged = bool(check.get("flagged"))
    found = "; ".join(check.get("reasons", [])) if flagged else "not flagged for the pick"
    state = "on" if flagged else "off"
    return f'<p id="meta-overfitting"><span class="flag {state}">Meta-overfitting: {_e(found)}.</span> {_e(FLAG_SENTENCE)}</p>'


def _ratio(spent: dict[str, Any], estimate: dict[str, Any], tokens: int) -> str:
    """Spent over estimated, per iteration (what the estimate is best at; the budget may stop the study early)."""
    if not spent.get("iterations") or not estimate["iterations"] or not tokens:
        return ""
    per = (spent["tokens"] / spent["iterations"]) / (tokens / estimate["iterations"])
    return f" (spent / estimated tokens per iteration: {per:.2f})"


def _costs(data: StudyData) -> str:
    headers = [
        "setting", "runs", "failed runs", "failed evaluations", "most frequent failure", "iterations", "tokens", "dollars", "seconds",
        "re-validation (evaluations, tokens, s)",
    ]
    rows = []
    for name in data.settings_order:
        runs = data.runs_of(name)
        tally = FailureTally.total(r.failures for r in runs)
        cells = [
            name, len(runs), sum(r.error is not None for r in runs), f"{tally.failed} of {tally.evaluations}",
            f"{tally.errors[0][0]} ({tally.errors[0][1]}x)" if tally.errors else "-",
            sum(r.iterations for r in runs), sum(r.tokens for r in runs), dollars_text(data.dollars_of(name)),
            f"{sum(r.seconds for r in runs):.1f}",
            ", ".join(str(round(sum(c), 1)) for c in zip(*(r.revalidation_cost for r in runs), strict=True)) if runs else "-",
        ]
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f'<table id="costs"><tr>{head}</tr>{"".join(rows)}</table>'


def _runs(data: StudyData) -> str:
    """Every run, the pick's first: validation, its returned artifact's re-validation score and cost, and test."""
    returned = (data.returned_test or {}).get("run_id")
    headers = ["run", "setting", "seed", f"best validation {data.metric.name}", f"re-validation {data.metric.name}",
               "re-validation evaluations", "re-validation tokens", "re-validation s", f"test {data.metric.name}", "error"]
    rows = []
    for run in (r for name in data.settings_order for r in data.runs_of(name)):
        evaluations, tokens, seconds = run.revalidation_cost
        mark = " (returned)" if run.run_id == returned else ""
        cells = [f"{run.run_id}{mark}", run.setting, run.seed, _number(run.val), _number(run.revalidation),
                 evaluations, tokens, f"{seconds:.1f}", _number(run.test), run.error or "-"]
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    note = ("<p>Runs are ranked on re-validation (each finished run's returned artifact scored once on data neither the "
            "optimizer nor the checkpoint choice read); a run stopped from outside has none.</p>")
    return f'{note}<table id="runs"><tr>{head}</tr>{"".join(rows)}</table>'


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _source(artifact: dict[str, Any]) -> str:
    """The artifact's text as the loop runs it (its parameters in order)."""
    return "\n\n".join(str(text).strip("\n") for text in artifact.get("parameters", {}).values()) + "\n"


def _artifact(data: StudyData) -> str:
    found = data.artifact
    if not found or not found.get("best"):
        return '<p id="artifact">No artifact was recorded for the pick (a study run by an older autoloop).</p>'
    best = _source(found["best"])
    whose = "the pick's run whose artifact the study returns (highest re-validation score; best validation without one)"
    parts = [f'<div id="artifact"><p>From run {_e(found["run_id"])}, {_e(whose)}.</p><pre>{_e(best)}</pre>']
    start = found.get("start")
    if start:
        lines = list(difflib.unified_diff(
            _source(start).splitlines(), best.splitlines(), f"starting artifact {start.get('name', '')}", "best artifact", lineterm="",
        ))
        parts.append("<h3>Diff from the starting artifact</h3>")
        parts.append(f'<pre id="diff">{_diff_html(lines)}</pre>' if lines else '<p id="diff">No change: the best artifact is the starting one.</p>')
    parts.append("</div>")
    return "".join(parts)


def _diff_html(lines: list[str]) -> str:
    def cls(line: str) -> str:
        if line.startswith(("+++", "---", "@@")):
            return "hunk"
        return {"+": "add", "-": "del"}.get(line[:1], "")

    return "\n".join(f'<span class="{cls(line)}">{_e(line)}</span>' for line in lines)
