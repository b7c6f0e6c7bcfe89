"""The report's plots, built with plotly from ``StudyData`` (one function per plot)."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.colors import qualitative

from autoloop.report._data import StudyData, interval

_FAINT = 0.25
_LAYOUT = {"template": "plotly_white", "height": 420, "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "legend": {"title": {"text": "setting"}}}


def colors(data: StudyData) -> dict[str, str]:
    """One color per setting, the same in every plot."""
    palette = qualitative.Plotly + qualitative.D3
    return {name: palette[i % len(palette)] for i, name in enumerate(data.settings_order)}


def _rgba(color: str, alpha: float) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def validation_curves(data: StudyData) -> go.Figure:
    """Validation along the runs of each setting: every run faintly, the mean over seeds with its 95% interval."""
    fig = go.Figure()
    palette = colors(data)
    for name in data.settings_order:
        runs = [r for r in data.runs_of(name) if r.curve]
        color = palette[name]
        for run in runs:
            fig.add_trace(go.Scatter(
                x=[p[0] for p in run.curve], y=[p[1] for p in run.curve], mode="lines", line={"color": color, "width": 1},
                opacity=_FAINT, legendgroup=name, showlegend=False, name=f"{name} seed {run.seed}", hoverinfo="name+y",
            ))
        steps = sorted({p[0] for r in runs for p in r.curve})
        points = [(s, interval([v for r in runs for i, v in r.curve if i == s])) for s in steps]
        points = [(s, ci) for s, ci in points if ci is not None]
        if not points:
            continue
        xs = [s for s, _ in points]
        fig.add_trace(go.Scatter(
            x=xs + xs[::-1], y=[ci.bounds[1] for _, ci in points] + [ci.bounds[0] for _, ci in points][::-1], fill="toself",
            fillcolor=_rgba(color, 0.15), line={"width": 0}, legendgroup=name, showlegend=False, hoverinfo="skip",
        ))
        fig.add_trace(go.Scatter(
            x=xs, y=[ci.mean for _, ci in points], mode="lines+markers", line={"color": color, "width": 3},
            legendgroup=name, name=f"{name} ({len(runs)} seed{'s' * (len(runs) != 1)})",
        ))
    fig.update_layout(title="Validation along the loop: mean over seeds with 95% interval, each run faintly", **_LAYOUT)
    fig.update_xaxes(title="iteration")
    fig.update_yaxes(title=f"validation {data.metric.name} ({data.metric.direction})")
    return fig


def allocation(data: StudyData) -> go.Figure:
    """Runs per setting as the study went on (cumulative, by the time each run ended)."""
    fig = go.Figure()
    palette = colors(data)
    timed = all(r.ended_at is not None for r in data.runs)
    start = min((r.ended_at for r in data.runs if r.ended_at is not None), default=0.0)
    x_of = {r.run_id: (r.ended_at - start if timed else i + 1) for i, r in enumerate(data.runs)}  # type: ignore[operator]
    for name in data.settings_order:
        runs = data.runs_of(name)
        fig.add_trace(go.Scatter(
            x=[0.0, *(x_of[r.run_id] for r in runs)], y=list(range(len(runs) + 1)), mode="lines+markers",
            line={"color": palette[name], "shape": "hv"}, name=name,
        ))
    fig.update_layout(title="Budget allocation: runs per setting as the study went on", **_LAYOUT)
    fig.update_xaxes(title="seconds since the first run ended" if timed else "runs ended")
    fig.update_yaxes(title="runs ended")
    return fig


def validation_vs_test(data: StudyData) -> go.Figure:
    """Final validation, re-validation and test per setting (runs scored on test), means with 95% intervals."""
    fig = go.Figure()
    tested = [n for n in data.settings_order if any(r.test is not None for r in data.runs_of(n))]
    ends: list[float] = []
    for split, symbol in (("validation", "circle"), ("revalidation", "square"), ("test", "diamond")):
        xs, ys, lows, highs = [], [], [], []
        for name in tested:
            runs = [r for r in data.runs_of(name) if r.test is not None and r.val is not None]
            values = {"validation": [r.val for r in runs], "revalidation": [r.revalidation for r in runs], "test": [r.test for r in runs]}
            ci = interval([v for v in values[split] if v is not None])
            if ci is None:
                continue
            xs.append(name)
            ys.append(ci.mean)
            low, high = ci.bounds
            lows.append(ci.mean - low)
            highs.append(high - ci.mean)
            ends += [low, high]
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="markers", marker={"symbol": symbol, "size": 12}, name=split,
            error_y={"type": "data", "array": highs, "arrayminus": lows, "symmetric": False},
        ))
    fig.update_layout(title="Final validation, re-validation and test per setting (95% intervals over the runs scored on test)", **_LAYOUT)
    fig.update_layout(legend={"title": {"text": "split"}}, scattermode="group")
    if ends:  # grouped markers would otherwise stretch the axis down to 0, flattening the intervals
        pad = 0.1 * (max(ends) - min(ends)) or 0.01 * max(abs(max(ends)), 1e-9)
        fig.update_yaxes(range=[min(ends) - pad, max(ends) + pad])
    fig.update_yaxes(title=data.metric.direction)
    return fig


def gaps(data: StudyData) -> go.Figure:
    """How much worse each run scored on test than on validation, per setting, in the metric's units."""
    fig = go.Figure()
    palette = colors(data)
    for name in data.settings_order:
        runs = [r for r in data.runs_of(name) if r.gap is not None]
        if runs:
            fig.add_trace(go.Box(
                y=[r.gap for r in runs], name=name, boxpoints="all", jitter=0.4, pointpos=0, marker={"color": palette[name]},
                text=[f"seed {r.seed}" for r in runs], hoverinfo="y+text",
            ))
    fig.add_hline(y=0, line={"dash": "dot", "color": "grey"})
    fig.update_layout(title="Validation-to-test gap of each run (above 0: test worse than validation)", showlegend=False, **_LAYOUT)
    m = data.metric
    fig.update_yaxes(title=f"{m.name}: {'validation - test' if m.higher_is_better else 'test - validation'} ({m.direction})")
    return fig
