"""Score tables from finished runs: which runs count, with which score, keyed how across families."""

from __future__ import annotations

from autoloop.controller import evidence, setting_key
from autoloop.controller._scores import run_score
from autoloop.tasks import describe_task


def _run(artifact: str, batch: int, seed: int, best_val: float | None, **extra) -> dict:
    settings = {"starting_artifact": artifact, "credit_horizon": 1, "batch_size": batch, "iterations": 4, "seed": seed, "memory": 3,
                "val_interval": 1, "patience": 0, "max_skips": 3}
    return {"settings": settings, "best_val": best_val, "stage": "search", "error": None, "stopped": None, **extra}


def test_a_run_counts_with_its_revalidation_score_when_it_has_one_and_never_when_cut_short():
    assert run_score(_run("a", 1, 0, 0.5)) == 0.5
    assert run_score(_run("a", 1, 0, 0.5, revalidation=0.4)) == 0.4
    assert run_score(_run("a", 1, 0, 0.5, stopped="stopped")) is None
    assert run_score(_run("a", 1, 0, 0.5, stopped="patience")) == 0.5  # ended by itself: it counts
    assert run_score(_run("a", 1, 0, None, error="boom")) is None


def test_scores_are_seed_adjusted_means_pooled_over_studies():
    # seed 1 is easy for everyone; "b" was only tried on it and must not look better for that
    study1 = {"task": "mlpipeline:house-prices", "runs": [_run("many_functions", 1, 0, 0.5), _run("many_functions", 1, 1, 0.9)]}
    study2 = {"task": "mlpipeline:house-prices", "runs": [_run("one_function", 1, 1, 0.8)]}
    ev = evidence([study1, study2])
    row = ev.table["mlpipeline:house-prices"]
    many = row[setting_key({**_knobs("many_functions", 1)})]
    one = row[setting_key({**_knobs("one_function", 1)})]
    assert many.mean > one.mean and many.runs == 2 and one.runs == 1
    assert ev.studies == {"mlpipeline:house-prices": 2} and ev.runs == {"mlpipeline:house-prices": 3}
    assert ev.to_dict()["studies"] == 2


def test_knobs_whose_values_differ_between_families_are_compared_by_position():
    infos = {t: describe_task(t) for t in ("mlpipeline:house-prices", "atari:Pong")}
    recs = [
        {"task": "mlpipeline:house-prices", "runs": [_run("one_function", 3, 0, 0.5)]},
        {"task": "atari:Pong", "runs": [_run("monolithic", 2, 0, -20.0)]},
    ]
    ev = evidence(recs, infos)
    key = setting_key({**_knobs("#2", "#2"), "credit_horizon": "#1"})
    assert set(ev.table["mlpipeline:house-prices"]) == {key} and set(ev.table["atari:Pong"]) == {key}
    assert ev.positions["atari:Pong"]["starting_artifact"] == ["modular", "monolithic"]
    assert ev.positions["mlpipeline:house-prices"]["batch_size"] == [1, 3, 5]


def _knobs(artifact, batch) -> dict:
    return {"starting_artifact": artifact, "credit_horizon": 1, "batch_size": batch, "memory": 3, "val_interval": 1, "patience": 0}
