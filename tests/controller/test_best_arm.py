"""Best-arm identification: paired comparisons, honest verdicts, stopping modes, Optuna records, resume."""

from __future__ import annotations

import json

import numpy as np
import optuna
import pytest

from autoloop.cli import main
from autoloop.controller import (
    Budget,
    Comparison,
    Controller,
    Estimates,
    Racing,
    SearchSpace,
    SequentialHalving,
    StudyPlan,
    StudyStatus,
    TopTwoThompson,
    Verdict,
    resolve_strategy,
)
from autoloop.executors import LocalExecutor
from autoloop.tasks import TaskInfo, describe_task
from benchmarks.tabular._strategies import ControllerConfig, controller
from benchmarks.tabular._table import from_rows
from benchmarks.tabular.synthetic import generate
from tests.controller.conftest import CountingToyTask, crash_then_resume
from tests.toy_task import local_template

SETTINGS = [{"batch_size": b} for b in (1, 2, 3)]


def _space() -> SearchSpace:
    return SearchSpace.from_task(TaskInfo.of(CountingToyTask), "batch_size=1,2,4;memory=0,3")


def test_paired_seeds_remove_the_shared_seed_noise():
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 1.0, 8)  # seed effects 100x the gap, common to every setting
    values = {arm: {s: shared[s] - 0.01 * arm + rng.normal(0, 0.001) for s in range(8)} for arm in range(3)}
    comparison = Comparison.of(values)
    assert comparison.leader == 0 and comparison.worse(0.95) == {1, 2}
    verdict = Verdict.of(SETTINGS, values, 0.95)
    assert verdict.certain and verdict.p_best > 0.99
    assert verdict.text.startswith("b1 is the best at 95%: every other setting is worse on paired seeds")


def test_equal_settings_get_a_plain_no_significant_difference():
    rng = np.random.default_rng(1)
    values = {arm: {s: rng.normal(0, 1) for s in range(6)} for arm in range(3)}
    verdict = Verdict.of(SETTINGS, values, 0.95)
    assert not verdict.certain and len(verdict.indistinguishable) == 3
    assert verdict.text.startswith("no significant difference among b")
    assert "at 95%; recommending" in verdict.text and "spread no more than their noise" in verdict.text
    assert verdict.pick == SETTINGS[0]  # the data cannot rank them: the first in the search order, not the noisiest mean
    assert verdict.to_dict()["indistinguishable"][0] == verdict.pick


def test_identical_runs_share_p_best_instead_of_claiming_it():
    values = {arm: {s: 0.8 + 0.01 * s for s in range(3)} for arm in range(6)}  # the same runs seed for seed
    verdict = Verdict.of([{"batch_size": b} for b in range(1, 7)], values, 0.95)
    assert not verdict.certain and verdict.p_best == pytest.approx(1 / 6)
    assert verdict.text.startswith("no significant difference among") and "P(best) = 0.17" in verdict.text
    assert verdict.pick == {"batch_size": 1} and "came first in the (seeded) search order" in verdict.text


def test_the_pick_adjusts_for_seed_effects():
    # Arm 0 also got seed 1, an easy seed for everyone; arm 1 only the hard seed 0, where it beats arm 0.
    values = {0: {0: 1.0, 1: 5.0}, 1: {0: 1.5}}
    estimates = Estimates.of(values)
    assert estimates.adjusted[1] > estimates.adjusted[0] and estimates.pick == 1
    assert Verdict.of(SETTINGS, values, 0.95).pick == SETTINGS[1]


def test_one_lucky_seed_does_not_beat_consistent_evidence_when_the_spread_is_noise():
    noise = np.random.default_rng(3).normal(0, 1, (5, 6))
    noise -= noise.mean(axis=1, keepdims=True) - 0.01 * np.arange(5)[:, None]  # means 0, 0.01, ..., 0.04: all noise
    values = {arm: dict(enumerate(map(float, noise[arm]))) for arm in range(5)}
    values[5] = {0: float(noise[:, 0].mean()) + 0.05}  # one seed, a little above the others' runs on it
    estimates = Estimates.of(values)
    assert max(estimates.adjusted, key=estimates.adjusted.get) == 5  # the highest mean: one lucky seed
    assert estimates.flat and estimates.shrunk[5] == estimates.shrunk[0]  # every estimate is the grand mean
    lean = {a: estimates.seeds[a] * (estimates.adjusted[a] - estimates.grand) for a in estimates.adjusted}
    assert estimates.pick == max(lean, key=lean.get) and estimates.seeds[estimates.pick] == 6


def test_racing_gives_two_seeds_to_fewer_settings_when_the_budget_cannot_cover_the_space():
    racing, rng = Racing(), np.random.default_rng(0)
    assigned, pulls = [0] * 8, []
    for _ in range(6):  # the budget pays for 6 runs, the space has 8 settings
        arm = racing.next_arm({}, assigned, set(range(8)), rng, planned=6)
        assigned[arm] += 1
        pulls.append(arm)
    assert sorted(pulls) == [0, 0, 1, 1, 2, 2]
    assert racing.next_arm({}, [0] * 8, set(range(8)), rng, planned=8) == 0  # enough for one seed each: plain racing
    assert racing.next_arm({}, [1, 0, 0, 0, 0, 0, 0, 0], {1, 2, 3}, rng, planned=4) == 1  # eliminated arms make room


def test_halving_covers_every_setting_once_then_halves_toward_the_contenders():
    halving, rng = SequentialHalving(), np.random.default_rng(0)
    means, cap = [0.0, 3.0, 1.0, 2.0, -1.0, -2.0, -3.0, 0.5], 4
    values: dict[int, dict[int, float]] = {}
    assigned, pulls = [0] * 8, []
    while (arm := halving.next_arm(values, assigned, {a for a in range(8) if assigned[a] < cap}, rng)) is not None:
        values.setdefault(arm, {})[assigned[arm]] = means[arm] + 0.01 * assigned[arm]
        assigned[arm] += 1
        pulls.append(arm)
    assert pulls[:8] == list(range(8))  # one seed each, in the search order (a small budget stops here)
    assert sorted(pulls[8:12]) == [1, 2, 3, 7]  # the best half gets a second seed
    assert sorted(pulls[12:16]) == [1, 1, 3, 3]  # the best two race up to four seeds
    assert assigned == [cap] * 8  # a full budget ends with every setting fully seeded


def test_halving_gives_the_next_arm_a_seed_when_the_runner_up_is_eliminated():
    # The quickstart's shape: the pick (0) has beaten arm 1 (the runner-up) on 4 seeds; arm 2 has one seed, so
    # no test can eliminate it. Feeding the pick alone would spend the budget and decide nothing.
    values = {0: {s: 160.0 + s for s in range(4)}, 1: {s: 100.0 + s for s in range(4)}, 2: {0: 44.0}}
    arm = SequentialHalving().next_arm(values, [4, 4, 1], {0, 2}, np.random.default_rng(0))
    assert arm == 2


def test_testing_after_every_seed_keeps_the_error_rate_of_the_level():
    rng = np.random.default_rng(2)
    wrong = 0
    for _ in range(200):  # all equal: any "certain" verdict at any look is an error
        data = rng.normal(0, 1, (4, 15))
        wrong += any(Comparison.of({a: dict(enumerate(data[a, :n])) for a in range(4)}).worse(0.95) == {0, 1, 2, 3} - {
            Comparison.of({a: dict(enumerate(data[a, :n])) for a in range(4)}).leader} for n in range(2, 16))
    assert wrong / 200 <= 0.05


def test_allocation_rules_pair_seeds_and_racing_goes_round_robin():
    rng = np.random.default_rng(0)
    racing = Racing()
    assert racing.next_arm({}, [0, 0, 0], {0, 1, 2}, rng) == 0
    assert racing.next_arm({0: {0: 1.0}}, [1, 0, 0], {0, 1, 2}, rng) == 1
    ttts = TopTwoThompson()
    values = {0: {0: 1.0, 1: 1.1}, 1: {0: 0.0, 1: 0.1}, 2: {0: -5.0, 1: -5.1}}
    pulls = [ttts.next_arm(values, [2, 2, 2], {0, 1, 2}, rng) for _ in range(200)]
    assert pulls.count(2) < 5 and pulls.count(0) > 50 and pulls.count(1) > 50  # the top two get the seeds


def test_auto_is_best_arm_on_small_spaces_and_tpe_beyond():
    assert resolve_strategy("auto", _space()) == "halving"
    big = SearchSpace.from_task(describe_task("counting:linear"), "batch_size=1,2,3,4,5;memory=0,1,2,3,4,5,6,7,8,9,10,11,12,13")
    assert big.size > 64 and resolve_strategy("auto", big) == "tpe"


def test_default_study_records_every_run_in_optuna_and_scores_test_only_for_reporting():
    storage = optuna.storages.InMemoryStorage()
    with LocalExecutor(jobs=0) as ex:
        rec = Controller(local_template("counting:linear"), executor=ex, budget=Budget(iterations=120), space=_space(),
                         plan=StudyPlan.resolve(iterations=4), storage=storage, study_name="bai").run()
    assert rec.strategy == "halving" and rec.stop_reason in ("iterations", "confident")
    trials = optuna.load_study(study_name="bai", storage=storage).get_trials()
    assert len(trials) == len({tuple(sorted(t.params.items())) for t in trials})  # one trial per setting
    recorded = {r for t in trials for r in t.user_attrs["runs"]}
    assert recorded == {r.run_id for r in rec.runs}
    assert all(f"record:{r}" in t.user_attrs for t in trials for r in t.user_attrs["runs"])
    assert all(t.state == optuna.trial.TrialState.COMPLETE and t.value is not None for t in trials)
    seeds = {t.number: sorted(t.user_attrs["runs"].values()) for t in trials}
    assert all(s == list(range(len(s))) for s in seeds.values())  # seed s of every setting: paired
    data = rec.to_dict()
    assert data["verdict"]["pick"] == {k: v for k, v in data["settings"].items() if k in data["verdict"]["pick"]}
    assert data["test"]["n"] >= 1 and data["stop_reason"] and "text" in data["verdict"]
    assert not [r for r in data["runners_up"] if r["settings"] not in data["verdict"]["indistinguishable"]]


def _synthetic(ratio: float):
    return from_rows(generate(ratio, settings=8, seeds=12))[f"synthetic:gap{ratio:g}"]


def test_fixed_confidence_stops_as_soon_as_the_pick_is_certain():
    table = _synthetic(4.0)
    grid = 8 * 12 * table.iterations
    pick, consumed, reason, tie = controller(table, 1, grid, ControllerConfig(seeds=12, sampler="halving", confidence=0.95), list(range(12)))
    assert reason == "confident" and consumed < grid / 2 and not tie
    assert pick == ("one_function", 1, 1)  # the synthetic tables' best setting


def test_fixed_budget_spends_the_budget_on_equal_settings_and_says_so():
    table = _synthetic(0.0)
    budget = 8 * 6 * table.iterations
    _, consumed, reason, tie = controller(table, 1, budget, ControllerConfig(seeds=12, sampler="racing"), list(range(12)))
    assert reason == "iterations" and consumed <= budget and tie


def test_replays_repeat_for_a_seed_whatever_the_strategy():
    table = _synthetic(0.5)
    for sampler, pruner in (("halving", "hyperband"), ("racing", "hyperband"), ("ttts", "hyperband"), ("tpe", "hyperband")):
        config = ControllerConfig(seeds=2, sampler=sampler, pruner=pruner)
        runs = [controller(table, 7, 200, config, list(range(12))) for _ in range(2)]
        assert runs[0] == runs[1], sampler


def test_a_resumed_best_arm_search_never_reruns_a_finished_run():
    storage = optuna.storages.InMemoryStorage()

    def make(ex, **kwargs) -> Controller:
        return Controller(local_template("counting:linear"), executor=ex, budget=Budget(iterations=100), space=_space(),
                          plan=StudyPlan.resolve(iterations=4), storage=storage, study_name="resumed", **kwargs)

    before: list = []  # the study's trials when the controller died

    def crash_when(status: StudyStatus) -> bool:
        if status.iterations < 40:
            return False
        before.extend(optuna.load_study(study_name="resumed", storage=storage).get_trials())
        return True

    _, submitted, rec = crash_then_resume(make, crash_when)
    finished = {r.removeprefix("record:") for t in before for r in t.user_attrs if r.startswith("record:")}
    assert finished
    assert not finished & set(submitted)
    assert finished <= {r.run_id for r in rec.runs} and len(rec.runs) == len({r.run_id for r in rec.runs})
    assert rec.spent["iterations"] <= 100


def test_tune_json_has_the_pick_its_verdict_test_interval_and_stop_reason(capsys):
    code = main(["tune", "counting:linear", "--jobs", "0", "--budget-iterations", "60", "--iterations", "3",
                 "--space", "batch_size=1,2", "--confidence", "0.9", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["strategy"] == "halving" and data["verdict"]["confidence"] == 0.9
    assert data["stop_reason"] in ("confident", "iterations") and data["test"]["ci95"]
    assert data["verdict"]["p_best"] is None or 0 <= data["verdict"]["p_best"] <= 1
