"""The printed summary of a recommendation lists settings by what ranks them."""

from __future__ import annotations

from autoloop.client import RecommendationData


def _run(artifact: str, seed: int, best_val: float, revalidation: float | None) -> dict:
    settings = {"starting_artifact": artifact, "credit_horizon": 10, "batch_size": 1, "seed": seed}
    return {"settings": settings, "best_val": best_val, "revalidation": revalidation}


def _summary(runs: list[dict]) -> str:
    interval = {"mean": 1.0, "ci95": None, "n": 1, "note": "too few seeds for an interval"}
    return str(RecommendationData(
        task="toy:linear", metric={"direction": "higher is better", "higher_is_better": True}, settings={"starting_artifact": "a"},
        validation=interval, test=interval, runs=runs, spent={"iterations": 4, "tokens": 0, "seconds": 1.0},
        stop_reason="budget", strategy="halving", failures={},
    ))


def test_settings_are_listed_by_their_mean_revalidation_not_their_best_validation() -> None:
    # "a" has the higher best validation (an overfit curve) but the lower re-validation.
    text = _summary([_run("a", 0, 9.0, 1.0), _run("a", 1, 9.0, 2.0), _run("b", 0, 5.0, 4.0)])
    listed = text.split("best first:\n")[1].splitlines()
    assert "mean re-validation" in text
    assert listed[0].strip() == "starting_artifact=b, credit_horizon=10, batch_size=1: 4 (1 run)"
    assert listed[1].strip() == "starting_artifact=a, credit_horizon=10, batch_size=1: 1.5 (2 runs)"


def test_a_task_without_a_revalidation_split_is_listed_by_best_validation() -> None:
    text = _summary([_run("a", 0, 9.0, None), _run("b", 0, 5.0, None)])
    assert "mean best validation over its runs" in text
    assert text.split("best first:\n")[1].splitlines()[0].strip().endswith(": 9 (1 run)")
