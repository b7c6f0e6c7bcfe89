"""Robust defaults: the pick, both aggregates, worst case, leave-one-task-out and transfer."""

from __future__ import annotations

import numpy as np
import pytest

from autoloop.controller import Cell, RobustDefaults, setting_key
from autoloop.errors import ConfigError

A, B, C = (setting_key({"batch_size": b}) for b in (1, 3, 5))


def _table(rows: dict[str, tuple[float, float, float]], se: float | None = None) -> dict:
    return {task: {k: Cell(v, se) for k, v in zip((A, B, C), values, strict=True)} for task, values in rows.items()}


def test_the_pick_has_the_lowest_mean_normalized_regret_and_both_aggregates_are_reported():
    table = _table({"t1": (0.9, 0.5, 0.1), "t2": (10.0, 40.0, 30.0), "t3": (0.2, 0.3, 0.1)})
    robust = RobustDefaults.of(table)
    assert robust.pick == B
    by = {s.settings: s for s in robust.standings}
    # regrets: t1 (0, .5, 1), t2 (1, 0, 1/3), t3 (.5, 0, 1)
    assert by[B].mean_regret == pytest.approx(0.5 / 3) and by[B].mean_rank == pytest.approx(4 / 3)
    assert by[A].worst_regret == 1.0 and by[A].worst_task == "t2"
    out = robust.to_dict()
    assert out["pick"] == {"batch_size": 3}
    assert out["aggregate"]["method"] == "normalized" and out["aggregate"]["mean_rank"] == pytest.approx(4 / 3)
    assert {e["task"] for e in out["leave_one_task_out"]} == {"t1", "t2", "t3"}
    assert set(out["leave_one_task_out"][0]) >= {"task", "default", "regret", "own_pick"}


def test_rank_aggregate_picks_by_mean_rank():
    # A is best on three tasks by a hair and worst on the fourth; B is a close second on those three.
    table = _table({"t1": (1.0, 0.99, 0.0), "t2": (1.0, 0.99, 0.0), "t3": (1.0, 0.99, 0.0), "t4": (0.0, 1.0, 0.5)})
    assert RobustDefaults.of(table, aggregate="rank").pick == A
    assert RobustDefaults.of(table, aggregate="normalized").pick == B


def test_leave_one_task_out_names_the_task_the_default_does_not_transfer_to():
    rows = {f"t{i}": (1.0, 0.5, 0.0) for i in range(4)}
    rows["odd"] = (0.0, 0.5, 1.0)
    robust = RobustDefaults.of(_table(rows))
    held = {h.task: h for h in robust.held_out}
    assert held["odd"].default == A and held["odd"].own_pick == C and held["odd"].regret == 1.0
    assert [h.task for h in robust.not_transferring] == ["odd"]
    assert all(held[f"t{i}"].regret == 0 and held[f"t{i}"].transfers for i in range(4))
    assert robust.to_dict()["does_not_transfer"] == [{"task": "odd", "regret": 1.0, "gap": 1.0}]


def test_a_gap_within_noise_is_not_evidence_against_transfer():
    rows = {f"t{i}": (1.0, 0.5, 0.0) for i in range(3)}
    rows["odd"] = (0.9, 1.0, 0.0)  # the default (A) is 0.1 below its own pick: beyond a 0.05 tolerance
    noisy = RobustDefaults.of(_table(rows, se=0.2), tolerance=0.05)
    exact = RobustDefaults.of(_table(rows), tolerance=0.05)
    assert not noisy.not_transferring and [h.task for h in exact.not_transferring] == ["odd"]


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"t1": {A: Cell(1.0)}}, "at least two tasks"),
        ({"t1": {A: Cell(1.0)}, "t2": {B: Cell(1.0)}}, "no setting was scored on every one"),
    ],
)
def test_bad_tables_are_refused_with_what_to_do(table, match):
    with pytest.raises(ConfigError, match=match):
        RobustDefaults.of(table)


def test_unknown_aggregate_and_tolerance_are_refused():
    table = _table({"t1": (1, 0, 0), "t2": (1, 0, 0)})
    with pytest.raises(ConfigError, match="unknown aggregate 'mean'"):
        RobustDefaults.of(table, aggregate="mean")
    with pytest.raises(ConfigError, match="tolerance"):
        RobustDefaults.of(table, tolerance=2.0)


def _simulated(rng: np.random.Generator, odd_gap: float, se: float) -> dict:
    """Six tasks sharing one best setting (index 0, ahead by 1 noise unit of spread), the last task
    with its own best ahead of it by ``odd_gap``; every cell observed with standard error ``se``."""
    keys = [setting_key({"batch_size": b}) for b in range(6)]
    table = {}
    for t in range(6):
        truth = -np.arange(6, dtype=float) * 0.5
        if t == 5:
            truth[3] = truth[0] + odd_gap
        observed = truth + rng.normal(0, se, 6)
        table[f"t{t}"] = {k: Cell(float(v), se) for k, v in zip(keys, observed, strict=True)}
    return table


def test_false_alarms_are_rare_and_a_real_outlier_is_named():
    """Error rates over 400 seeded simulated suites: when the default truly transfers (every
    task's best is the same setting), few held-out tasks are flagged; when one task's own best
    beats the default by 3 noise units, that task is named nearly always."""
    rng = np.random.default_rng(7)
    flagged = [len(RobustDefaults.of(_simulated(rng, -1.0, 0.1)).not_transferring) for _ in range(400)]
    assert np.mean(flagged) / 6 <= 0.05
    named = [any(h.task == "t5" for h in RobustDefaults.of(_simulated(rng, 0.6, 0.1)).not_transferring) for _ in range(400)]
    assert np.mean(named) >= 0.95


def test_scores_equal_but_for_rounding_are_ties_not_regret():
    table = _table({"t1": (0.5, 0.5 + 2e-14, 0.5 - 1e-14), "t2": (1.0, 0.0, 0.5), "t3": (1.0, 1.0 + 1e-15, 0.0)})
    robust = RobustDefaults.of(table)
    assert robust.pick == A and robust.pick_regrets["t1"] == 0 and robust.pick_regrets["t3"] == 0
    assert {h.task: h.own_pick for h in robust.held_out}["t3"] == A  # tied with the best: the default is its own pick
    assert {s.settings: s.mean_rank for s in robust.standings}[A] == pytest.approx((2 + 1) / 2)
