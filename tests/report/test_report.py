"""The study report: a pure function of a study's recommendation, one self-contained HTML page."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from autoloop.cli import main
from autoloop.errors import ConfigError
from autoloop.report import FIGURES, FLAG_SENTENCE, StudyData, render_report


def test_the_report_shows_verdict_plots_costs_and_the_artifact_diff(recommendation: dict[str, Any]):
    page = render_report(recommendation)
    data = StudyData.from_recommendation(recommendation)
    assert _external_resources(page) == []  # plotly.js is inlined: the page opens without a network
    for fig_id in FIGURES:
        assert f'id="{fig_id}"' in page
    text = html.unescape(page)
    assert recommendation["verdict"]["text"] in text
    assert f"search ended by</th><td>{recommendation['stop_reason']}" in page
    assert FLAG_SENTENCE in text
    costs = re.search(r'<table id="costs">.*?</table>', page, re.S).group(0)  # type: ignore[union-attr]
    assert all(f"<td>{name}</td>" in costs for name in data.settings_order)
    assert sum(r["tokens"] for r in recommendation["runs"]) == sum(r.tokens for r in data.runs)
    assert 'id="diff"' in page and "starting artifact start" in page


def test_settings_are_named_as_the_verdict_names_them(recommendation: dict[str, Any]):
    data = StudyData.from_recommendation(recommendation)
    assert set(data.knobs) == {"starting_artifact", "credit_horizon", "batch_size", "memory"}
    assert {name.split("/", 2)[2] for name in data.settings_order} == {"b1/m0", "b1/m3", "b2/m0", "b2/m3"}
    assert data.settings_order[0] == data.pick == data.name_of(recommendation["verdict"]["pick"])
    assert data.pick in recommendation["verdict"]["text"]
    without_verdict = StudyData.from_recommendation({**recommendation, "verdict": None})
    assert set(without_verdict.settings_order) == {"b1/m0", "b1/m3", "b2/m0", "b2/m3"}  # the knobs the runs varied
    # the metric is an error: the report shows it positive again (lower is better)
    assert all(r.val is not None and r.val >= 0 for r in data.runs if r.error is None)


def test_a_suite_result_or_an_empty_study_is_refused_with_what_to_pass():
    with pytest.raises(ConfigError, match="autoloop tune --json"):
        render_report({"aggregate": "normalized", "per_task": []})


def test_the_cli_writes_the_report_of_a_tune_json(recommendation: dict[str, Any], tmp_path, capsys):
    source = tmp_path / "result.json"
    source.write_text(json.dumps(recommendation))
    out = tmp_path / "report.html"
    assert main(["report", str(source), "-o", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert str(out) in capsys.readouterr().out


def _external_resources(page: str) -> list[str]:
    """``src``/``href`` URLs of the page's own tags (scripts, links, images)."""
    found: list[str] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.extend(v for k, v in attrs if k in ("src", "href") and v and not v.startswith("#"))

    Tags().feed(page)
    return found


def test_each_run_shows_its_revalidation_score_and_cost_and_the_pick_its_test_ci(recommendation: dict[str, Any]):
    page = render_report(recommendation)
    runs = re.search(r'<table id="runs">.*?</table>', page, re.S).group(0)  # type: ignore[union-attr]
    for run in recommendation["runs"]:
        row = re.search(rf"<tr><td>{re.escape(run['run_id'])}( \(returned\))?</td>.*?</tr>", runs).group(0)  # type: ignore[union-attr]
        cells = re.findall(r"<td>(.*?)</td>", row)
        assert cells[4] == ("-" if run["revalidation"] is None else f"{run['revalidation']:.4f}")
        assert cells[5:8] == [str(run["revalidation_evaluations"]), str(run["revalidation_tokens"]), f"{run['revalidation_seconds']:.1f}"]
    returned = recommendation["returned_test"]
    assert returned["ci95"] is not None and returned["unit"] == "test instances"
    assert f"<td>{returned['run_id']} (returned)</td>" in runs
    low, high = returned["ci95"]
    assert f"{returned['mean']:.4f} (95% CI {low:.4f}..{high:.4f}, n={returned['n']} test instances), run {returned['run_id']}" in html.unescape(page)


def test_a_zero_width_returned_interval_says_every_instance_scored_the_same(recommendation: dict[str, Any]):
    returned = {**recommendation["returned_test"], "mean": 1.0, "ci95": [1.0, 1.0]}
    text = html.unescape(render_report({**recommendation, "returned_test": returned}))
    assert "(95% CI 1.0000..1.0000" in text and "every test instance scored the same" in text
    assert "every test instance scored the same" not in html.unescape(render_report(recommendation))
