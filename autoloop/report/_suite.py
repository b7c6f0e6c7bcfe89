"""The report of a suite: the robust default, its regret on every task, and the leave-one-task-out check.

Reads the ``robust_defaults`` block of ``autoloop tune --suite --json``, or the JSON of
``autoloop defaults --json`` / ``GET /v1/defaults`` (the same block at the top level).
"""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from autoloop.errors import ConfigError

FIGURE_ID = "fig-loto"
_REQUIRED = ("pick", "aggregate", "leave_one_task_out", "regret_per_task")


def robust_block(data: dict[str, Any]) -> dict[str, Any] | None:
    """The robust-defaults block of a suite's result or of a defaults answer; ``None`` for anything else."""
    block = data.get("robust_defaults", data)
    return block if isinstance(block, dict) and "leave_one_task_out" in block else None


def render_suite(block: dict[str, Any]) -> str:
    """One self-contained HTML page for a robust-defaults block.

    Raises:
        ConfigError: The block lacks a field (written by an older autoloop).
    """
    missing = [k for k in _REQUIRED if k not in block]
    if missing:
        raise ConfigError(f"the suite's result has no {missing}; it was written by an older autoloop, run the suite again")
    figure = pio.to_html(regret_figure(block), include_plotlyjs=True, full_html=False, div_id=FIGURE_ID, config={"displaylogo": False})
    agg = block["aggregate"]
    rows = [
        ("default", _name(block["pick"])),
        ("chosen by", f"mean {'normalized regret' if agg['method'] == 'normalized' else 'rank'} over {len(block['regret_per_task'])} tasks"),
        ("mean normalized regret", f"{agg['mean_regret']:.3f}"),
        ("mean rank", f"{agg['mean_rank']:.2f}"),
        ("worst regret", f"{agg['worst_regret']:.3f} ({agg['worst_task']})"),
        ("leave-one-task-out regret", f"mean {block['loto_mean_regret']:.3f}, worst {block['loto_worst_regret']:.3f}"),
    ]
    off = block.get("does_not_transfer", [])
    rows.append(("does not transfer to", ", ".join(f"{d['task']} (regret {d['regret']:.2f})" for d in off) or "every task: it transfers"))
    summary = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    head = "".join(f"<th>{_e(h)}</th>" for h in ("task left out", "default chosen without it", "its own pick", "regret", "transfers"))
    loto = "".join(
        f"<tr><td>{_e(e['task'])}</td><td>{_e(_name(e['default']))}</td><td>{_e(_name(e['own_pick']))}</td>"
        f"<td>{e['regret']:.3f}</td><td>{'yes' if e.get('transfers', True) else 'NO'}</td></tr>"
        for e in block["leave_one_task_out"]
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>autoloop suite report</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}}
table{{border-collapse:collapse}}td,th{{padding:4px 10px;border-bottom:1px solid #eee;text-align:left}}</style></head>
<body>
<h1>autoloop suite report: robust default</h1>
<table id="robust-default">{summary}</table>
<h2>Regret of the default on each task, and with that task left out of the choice</h2>
<p>Normalized regret: 0 is the task's own pick, 1 its worst setting. "Left out" is the default chosen on the other
tasks alone: the number that says whether a default transfers to a task it was not chosen on.</p>
{figure}
<h2>Leave one task out</h2>
<table id="loto"><tr>{head}</tr>{loto}</table>
</body></html>
"""


def regret_figure(block: dict[str, Any]) -> go.Figure:
    """Per task: the default's regret (chosen on every task) next to the regret of the default chosen without it."""
    tasks = [e["task"] for e in block["leave_one_task_out"]]
    loto = {e["task"]: e for e in block["leave_one_task_out"]}
    fig = go.Figure()
    fig.add_trace(go.Bar(x=tasks, y=[block["regret_per_task"][t] for t in tasks], name="default (chosen on every task)"))
    fig.add_trace(go.Bar(
        x=tasks, y=[loto[t]["regret"] for t in tasks], name="default chosen without the task",
        marker={"color": ["#b00" if not loto[t].get("transfers", True) else "#36c" for t in tasks]},
        hovertext=[_name(loto[t]["default"]) for t in tasks],
    ))
    if "tolerance" in block:
        fig.add_hline(y=block["tolerance"], line_dash="dot", annotation_text="tolerance")
    fig.update_layout(
        template="plotly_white", barmode="group", height=420, yaxis={"title": "normalized regret", "range": [0, 1.05]},
        title="red: the default chosen without the task does not transfer to it",
    )
    return fig


def _name(settings: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in settings.items())


def _e(value: Any) -> str:
    return html.escape(str(value))
