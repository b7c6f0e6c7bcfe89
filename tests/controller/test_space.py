"""SearchSpace, Interval, meta-overfitting flag and suite aggregation."""

from __future__ import annotations

import numpy as np
import pytest

from autoloop.controller import (
    Interval,
    MetaOverfitting,
    RunRecord,
    SearchSpace,
    SettingReport,
    aggregate_scores,
)
from autoloop.controller._space import key_of
from autoloop.errors import ConfigError
from autoloop.outcome import RunOutcome
from autoloop.tasks import Metric, TaskInfo

INFO = TaskInfo(("one", "many"), (1, 400), (1, 3, 5), Metric("reward"))


def test_space_restricts_and_extends_what_the_task_declares():
    space = SearchSpace.from_task(INFO, "artifact=many;horizon=1,25,400;batch_size=2;memory=0,3")
    assert space.choices["starting_artifact"] == ("many",)
    assert space.choices["credit_horizon"] == (1, 25, 400)
    assert space.size == 6 and len(space.grid()) == 6
    assert SearchSpace.from_task(INFO).size == 12


@pytest.mark.parametrize("spec", ["artifact=three", "colour=1", "batch_size=x", "batch_size", "batch_size=0"])
def test_bad_specs_are_refused(spec):
    with pytest.raises(ConfigError):
        SearchSpace.from_task(INFO, spec)


def test_a_t_interval_brackets_the_mean_and_one_value_has_none():
    iv = Interval.of([1.0, 2.0, 3.0, 10.0])
    assert iv.low < iv.mean < iv.high and iv.n == 4
    assert iv.high - iv.mean == pytest.approx(3.182 * np.std([1.0, 2.0, 3.0, 10.0], ddof=1) / 2, rel=0.01)  # t(0.975, 3) = 3.182
    one = Interval.of([5.0])
    assert (one.low, one.high, one.bounds) == (None, None, (5.0, 5.0))
    assert one.to_dict()["ci95"] is None and one.to_dict()["note"] == "too few seeds for an interval"


def _run(val: float, test: float, curve=()) -> RunRecord:
    return RunRecord("r", "final", {}, RunOutcome("r", {}, val, test, test_curve=curve))


def test_meta_overfitting_flags_falling_test_and_a_gap_that_grew():
    falling = ((0, 0.5, 0.50), (3, 0.6, 0.58), (6, 0.7, 0.52))
    report = SettingReport.of({"a": 1}, 0.7, [_run(0.7, 0.52, falling), _run(0.7, 0.5, falling), _run(0.69, 0.53)])
    flag = MetaOverfitting.of(report)
    assert flag.flagged and flag.falling_test_runs == 2 and flag.test_below_validation
    # a constant split offset (test 0.05 below validation from the start) is not overfitting
    steady = ((0, 0.5, 0.45), (3, 0.6, 0.55))
    clean = SettingReport.of({"a": 1}, 0.6, [_run(0.6, 0.55, steady), _run(0.6, 0.55, steady), _run(0.6, 0.55, steady)])
    assert clean.gap.mean == pytest.approx(0.05)
    assert not MetaOverfitting.of(clean).flagged


def test_suite_aggregation_by_normalized_score_and_rank():
    table = {"t1": {("a",): 0.9, ("b",): 0.5, ("c",): 0.1}, "t2": {("a",): 10.0, ("b",): 40.0, ("c",): 30.0}}
    normalized = aggregate_scores(table, "normalized")
    assert normalized[("b",)] == pytest.approx((0.5 + 1.0) / 2)
    ranks = aggregate_scores(table, "rank")
    assert ranks[("b",)] == pytest.approx(-1.5) and ranks[("a",)] == pytest.approx(-2.0)


def test_space_from_a_described_task_keeps_per_variant_horizons():
    from autoloop.tasks import describe_task

    assert SearchSpace.from_task(describe_task("atari:Pong")).choices["credit_horizon"] == (1, 400)
    assert SearchSpace.from_task(describe_task("atari:SpaceInvaders")).choices["credit_horizon"] == (1, 25)


def test_infeasible_settings_leave_the_grid_and_keep_their_reasons():
    space = SearchSpace({"starting_artifact": ("a",), "batch_size": (1, 4), "credit_horizon": (1, 100)})
    big = {"starting_artifact": "a", "batch_size": 4, "credit_horizon": 100}
    narrowed = space.without({key_of(big): "too large for the window"})
    assert narrowed.size == 3 and big not in narrowed.grid()
    assert not narrowed.allows(big) and narrowed.allows({**big, "batch_size": 1})
    assert narrowed.infeasible_settings() == [(dict(sorted(big.items())), "too large for the window")]
    with pytest.raises(ConfigError, match=r"no setting of the space is feasible: .*batch_size=1.*: no"):
        space.without({key_of(s): "no" for s in space.grid()})
