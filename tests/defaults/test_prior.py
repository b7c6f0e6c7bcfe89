"""Warm start: the prior from past studies, how much each counts, and what it changes."""

from __future__ import annotations

import numpy as np
import pytest

from autoloop.controller import Estimates
from autoloop.controller._prior import FAMILY_WEIGHT, MAX_WEIGHT, SAME_TASK_WEIGHT, Prior, blend
from autoloop.tasks import describe_task

TASK = "mlpipeline:house-prices"
INFOS = {t: describe_task(t) for t in (TASK, "mlpipeline:spaceship-titanic", "atari:Pong")}


def _study(task: str, scores: dict[tuple[str, int], float]) -> dict:
    runs = [
        {"settings": {"starting_artifact": a, "credit_horizon": 1, "batch_size": b, "seed": 0}, "best_val": v, "error": None, "stopped": None}
        for (a, b), v in scores.items()
    ]
    return {"task": task, "runs": runs}


GOOD = {("one_function", 5): 1.0, ("many_functions", 1): 0.0, ("one_function", 1): 0.5}


def _setting(artifact: str, batch: int) -> dict:
    return {"starting_artifact": artifact, "credit_horizon": 1, "batch_size": batch}


def test_a_past_study_counts_less_than_one_run_and_all_of_them_together_too():
    one = Prior.of([_study(TASK, GOOD)], TASK, INFOS)
    key = one.key(_setting("one_function", 5))
    assert one.scores[key] == 1.0 and one.weights[key] == SAME_TASK_WEIGHT
    kin = Prior.of([_study("mlpipeline:spaceship-titanic", GOOD)], TASK, INFOS)
    assert kin.weights[key] == FAMILY_WEIGHT and kin.same_task == 0 and kin.studies == 1
    many = Prior.of([_study(TASK, GOOD)] * 10, TASK, INFOS)
    assert max(many.weights.values()) == MAX_WEIGHT < 1
    assert many.to_dict()["text"] == "started from 10 past studies (10 of this task)"


def test_studies_of_other_families_never_count():
    prior = Prior.of([_study("atari:Pong", {("modular", 1): 1.0, ("monolithic", 1): 0.0})], TASK, INFOS)
    assert prior.studies == 0 and not prior.scores


def test_the_first_seeds_go_to_the_priors_favorites_and_unknown_settings_keep_their_order():
    prior = Prior.of([_study(TASK, GOOD)], TASK, INFOS)
    settings = [_setting("many_functions", 3), _setting("many_functions", 1), _setting("one_function", 5), _setting("one_function", 1)]
    assert prior.order(settings) == [settings[2], settings[3], settings[1], settings[0]]


def test_the_prior_tips_a_close_call_and_yields_to_the_studys_own_evidence():
    prior = Prior.of([_study(TASK, GOOD)], TASK, INFOS)
    settings = [_setting("many_functions", 1), _setting("one_function", 5), _setting("one_function", 1)]
    arms = prior.arms(settings)
    assert arms == {0: (0.0, SAME_TASK_WEIGHT), 1: (1.0, SAME_TASK_WEIGHT), 2: (0.5, SAME_TASK_WEIGHT)}
    # a close call with spread beyond noise: the prior tips it
    close = Estimates.of({0: {0: 0.60, 1: 0.62}, 1: {0: 0.59, 1: 0.62}, 2: {0: 0.40, 1: 0.41}})
    assert close.tau and close.pick == 0 and blend(close, arms).pick == 1
    flat = Estimates.of({0: {0: 0.55, 1: 0.47}, 1: {0: 0.46, 1: 0.52}, 2: {0: 0.45, 1: 0.55}})
    assert flat.flat and blend(flat, arms) == flat  # no spread beyond noise: the prior invents no scale
    # clear evidence against the prior: arm 0 ahead by far more than the noise
    clear = Estimates.of({0: {0: 0.9, 1: 0.8, 2: 0.85}, 1: {0: 0.5, 1: 0.4, 2: 0.45}, 2: {0: 0.5, 1: 0.41, 2: 0.46}})
    assert blend(clear, arms).pick == 0
    one_seed = Estimates.of({0: {0: 0.9}, 1: {0: 0.5}, 2: {0: 0.4}})
    assert blend(one_seed, arms) == one_seed  # no noise measured yet: nor here


@pytest.mark.parametrize("weight", [SAME_TASK_WEIGHT, FAMILY_WEIGHT, MAX_WEIGHT])
def test_a_setting_with_one_own_run_is_mostly_its_own_evidence(weight):
    est = Estimates.of({0: {0: 1.0, 1: 1.1}, 1: {0: 0.0, 1: 0.2}, 2: {0: 0.5, 1: 0.4}})
    blended = blend(est, {0: (0.0, weight), 1: (1.0, weight), 2: (0.5, weight)})
    assert blended.pick == 0  # a clear lead on its own runs outweighs the whole prior


def _picks(rng: np.random.Generator, seeds: int, ratio: float, prior: dict | None) -> bool:
    """One simulated study: 6 arms (arm 0 best, the rest spaced by ``ratio`` noise units below),
    ``seeds`` paired seeds each with a shared seed effect; whether the pick is arm 0."""
    shared = rng.normal(0, 2, seeds)
    values = {a: {s: -a * ratio + shared[s] + rng.normal() for s in range(seeds)} for a in range(6)}
    estimates = Estimates.of(values)
    return (blend(estimates, prior) if prior else estimates).pick == 0


@pytest.mark.parametrize(("seeds", "ratio"), [(1, 1.0), (2, 0.5), (3, 1.0), (4, 0.5), (2, 2.0)])
def test_a_wrong_prior_costs_little_and_a_right_one_does_not_hurt(seeds, ratio):
    """Error rates over 600 seeded simulated studies per arm: a prior that ranks the arms exactly
    backwards (the worst as its favorite, at the largest weight) loses at most 0.1 of P(correct
    pick) against no prior; the right prior never does worse than none."""
    right = {a: (1 - a / 5, MAX_WEIGHT) for a in range(6)}
    wrong = {a: (a / 5, MAX_WEIGHT) for a in range(6)}
    rates = {}
    for name, prior in (("cold", None), ("right", right), ("wrong", wrong)):
        rng = np.random.default_rng([seeds, int(ratio * 10)])  # the same studies for every arm: paired
        rates[name] = np.mean([_picks(rng, seeds, ratio, prior) for _ in range(600)])
    assert rates["wrong"] >= rates["cold"] - 0.1
    assert rates["right"] >= rates["cold"]
