"""Sampler and pruner registries: built-ins, plug-ins, one set of defaults, grid under ask/tell."""

from __future__ import annotations

import json

import optuna
import pytest

from autoloop.cli import main
from autoloop.controller import (
    DEFAULT_PRUNER,
    Budget,
    Controller,
    SearchSpace,
    StudyPlan,
    _pruners,
    _samplers,
    _strategy,
    create_study,
    make_pruner,
    make_sampler,
    pruner_names,
    register_pruner,
    sampler_names,
)
from autoloop.errors import ConfigError
from autoloop.executors import LocalExecutor
from autoloop.tasks import describe_task
from tests.toy_task import local_template


@pytest.fixture(autouse=True)
def _fresh_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plug-ins registered by a test leave the process-wide registries as they were."""
    monkeypatch.setattr(_pruners.PRUNERS, "factories", dict(_pruners.PRUNERS.factories))
    monkeypatch.setattr(_samplers.SAMPLERS, "factories", dict(_samplers.SAMPLERS.factories))
    monkeypatch.setattr(_strategy.STRATEGIES, "factories", dict(_strategy.STRATEGIES.factories))


class OnlyFirstTrialPruner(optuna.pruners.BasePruner):
    """Not an Optuna rule: keeps trial 0, prunes every later trial once it reached ``min_step``."""

    def __init__(self, min_step: int) -> None:
        self.min_step = min_step
        self.calls = 0

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        self.calls += 1
        return trial.number > 0 and (trial.last_step or 0) >= self.min_step


def _space() -> SearchSpace:
    return SearchSpace.from_task(describe_task("counting:linear"), "batch_size=1,2,4;memory=0,3")


def test_built_ins_and_one_default_each():
    assert {"tpe", "random", "grid"} <= set(sampler_names())
    assert {"hyperband", "sha", "wilcoxon", "none"} <= set(pruner_names())
    assert DEFAULT_PRUNER == "hyperband"
    assert isinstance(make_pruner(DEFAULT_PRUNER, iterations=9, min_resource=3), optuna.pruners.HyperbandPruner)
    for name in sampler_names():
        assert isinstance(make_sampler(name, _space(), seed=0), optuna.samplers.BaseSampler)


def test_unknown_names_are_config_errors_listing_the_registered_ones():
    with pytest.raises(ConfigError, match="unknown pruner 'asha'; choose one of hyperband, sha, wilcoxon, none"):
        make_pruner("asha", iterations=6, min_resource=2)
    with pytest.raises(ConfigError, match="unknown sampler 'cmaes'; choose one of tpe, random, grid"):
        create_study(_space(), sampler="cmaes", iterations=6, min_resource=2)


def test_a_factory_must_be_callable_and_return_an_optuna_object():
    with pytest.raises(ConfigError, match="non-empty name"):
        register_pruner(" ", lambda *, iterations, min_resource: optuna.pruners.NopPruner())
    with pytest.raises(ConfigError, match="must be callable"):
        register_pruner("nop", optuna.pruners.NopPruner())  # an instance, not a factory
    register_pruner("broken", lambda *, iterations, min_resource: "median")
    with pytest.raises(ConfigError, match="pruner 'broken': its factory returned str"):
        make_pruner("broken", iterations=6, min_resource=2)


def test_a_custom_pruner_plugs_into_a_controller_study():
    pruners: list[OnlyFirstTrialPruner] = []

    def factory(*, iterations: int, min_resource: int) -> OnlyFirstTrialPruner:
        pruners.append(OnlyFirstTrialPruner(min_resource))
        return pruners[-1]

    register_pruner("only-first", factory)
    with LocalExecutor(jobs=0) as ex:
        ctl = Controller(
            local_template("counting:linear"), executor=ex, budget=Budget(iterations=200),
            space=_space(), plan=StudyPlan.resolve(iterations=6, seeds=2, top_k=1, strategy="tpe", pruner="only-first"),
        )
        rec = ctl.run()
    assert len(pruners) == 1 and pruners[0].calls > 0
    assert rec.trials["complete"] == 1 and rec.trials["pruned"] >= 1
    pruned = [r for r in rec.runs if r.stage == "search" and r.stopped_by_study]
    assert pruned and all(r.outcome.iterations < 6 for r in pruned)


def test_cli_choices_come_from_the_registry(capsys):
    register_pruner("never", lambda *, iterations, min_resource: OnlyFirstTrialPruner(min_step=iterations + 1))
    argv = ["tune", "counting:linear", "--jobs", "0", "--budget-iterations", "60", "--iterations", "3", "--seeds", "1",
            "--top-k", "1", "--space", "batch_size=1,2", "--strategy", "tpe", "--json"]
    assert main([*argv, "--pruner", "never"]) == 0
    assert json.loads(capsys.readouterr().out)["trials"] == {"complete": 2}
    assert main([*argv, "--pruner", "asha"]) == 2  # a usage error, as JSON under --json
    assert "choose from 'hyperband', 'sha', 'wilcoxon', 'none', 'never'" in json.loads(capsys.readouterr().out)["error"]["message"]


def test_grid_runs_under_ask_tell_and_tries_every_setting_once():
    with LocalExecutor(jobs=0) as ex:
        ctl = Controller(
            local_template("counting:linear"), executor=ex, budget=Budget(iterations=400),
            space=_space(), plan=StudyPlan.resolve(iterations=3, seeds=1, top_k=1, strategy="grid", pruner="none"),
        )
        rec = ctl.run()
    assert rec.stop_reason == "space"
    searched = [tuple(sorted((k, r.settings[k]) for k in ("batch_size", "memory"))) for r in rec.runs if r.stage == "search"]
    assert len(searched) == len(set(searched)) == _space().size


def test_optunas_own_grid_sampler_cannot_run_under_ask_tell():
    """Why ``grid`` is a subclass: the stock sampler stops the study from ``tell``."""
    study = optuna.create_study(sampler=optuna.samplers.GridSampler({"a": [1]}))
    trial = study.ask()
    trial.suggest_categorical("a", [1])
    with pytest.raises(RuntimeError, match="stop"):
        study.tell(trial, 1.0)
