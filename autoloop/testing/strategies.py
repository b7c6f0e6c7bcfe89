"""The contract every ``SearchStrategy`` keeps, as a pytest class to run against a registered one.

Contract, with the strategy driven by the real ``Controller`` against a replaying executor: a
study stays within its iteration budget; seeds are paired (the search seeds of every setting
are ``0..n-1``, the same common random numbers; re-check seeds are the same fresh ones for
every setting re-checked); a study replays identically for a seed (the same runs in the same
order, the same pick); a study whose controller dies resumes from its storage without running
a finished run again; the search ends with a typed ``StopReason``; a warm start (a ``Prior``)
is taken by a strategy that ``uses_prior`` (its favorite gets the first seed, the
recommendation says so) and refused with a ``ConfigError`` by one that does not.

Example:
    >>> class TestMyStrategy(StrategyContract):  # doctest: +SKIP
    ...     @pytest.fixture
    ...     def strategy_case(self):
    ...         return StrategyCase("mine", executor=lambda: TableExecutor(table, seed_index), ...)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from autoloop.controller import (
    FINAL_SEED_BASE,
    Budget,
    Controller,
    Prior,
    Recommendation,
    SearchSpace,
    StopReason,
    StudyPlan,
    StudyStatus,
    make_strategy,
)
from autoloop.errors import ConfigError
from autoloop.executors import Executor, LoopJob, RunEvent, RunTemplate
from autoloop.tasks import TaskInfo
from autoloop.testing._pytest import pytest

__all__ = ["StrategyCase", "StrategyContract"]


@dataclass(frozen=True)
class StrategyCase:
    """One registered strategy under test, and the study to run it on.

    Args:
        strategy: The registered name.
        executor: A fresh executor whose runs are a pure function of the job (setting and seed),
            e.g. ``benchmarks.tabular``'s ``TableExecutor`` over a synthetic table.
        template: What every job shares.
        info: The task's metric and knobs.
        space: The settings to search.
        budget: The study's iteration budget (big enough for a few rounds of the strategy).
        plan: The study plan (its ``strategy`` is replaced by ``strategy``).
        parallel: Runs in flight.
    """

    strategy: str
    executor: Callable[[], Executor]
    template: RunTemplate
    info: TaskInfo
    space: SearchSpace
    budget: int
    plan: StudyPlan = field(default_factory=StudyPlan.resolve)
    parallel: int = 2


class _Crash(Exception):
    """Stands in for a controller process dying mid-study."""


class _Recording(Executor):
    """Another executor, with every submitted job recorded (run id, setting, seed) in order."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.submitted: list[tuple[str, tuple, int]] = []

    def submit(self, job: LoopJob) -> None:
        self.submitted.append((job.run_id, tuple(sorted(job.settings.items())), job.loop_settings.seed))
        self.inner.submit(job)

    def events(self, timeout: float) -> list[RunEvent]:
        return self.inner.events(timeout)

    def stop(self, run_id: str) -> None:
        self.inner.stop(run_id)

    def close(self) -> None:
        self.inner.close()


class StrategyContract:
    """Checks a registered ``SearchStrategy``; subclass and provide the ``strategy_case`` fixture."""

    @pytest.fixture
    def strategy_case(self) -> StrategyCase:
        """Override in the test class: a ``StrategyCase`` for the strategy under test."""
        pytest.fail(f"{__name__}: define a `strategy_case` fixture in your test class returning a StrategyCase")

    def test_stays_within_its_budget(self, strategy_case: StrategyCase) -> None:
        rec, _ = _study(strategy_case)
        assert rec.spent["iterations"] <= strategy_case.budget
        assert rec.strategy == strategy_case.strategy

    def test_pairs_seeds(self, strategy_case: StrategyCase) -> None:
        rec, _ = _study(strategy_case)
        search: dict[tuple, set[int]] = {}
        final: dict[tuple, set[int]] = {}
        for run in rec.runs:
            seed = run.settings["seed"]
            key = tuple(sorted((k, run.settings[k]) for k in strategy_case.space.knobs))
            (final if seed >= FINAL_SEED_BASE else search).setdefault(key, set()).add(seed)
        assert all(seeds == set(range(len(seeds))) for seeds in search.values()), search
        assert len({frozenset(seeds) for seeds in final.values()}) <= 1, final

    def test_replays_identically_for_a_seed(self, strategy_case: StrategyCase) -> None:
        first, runs = _study(strategy_case, seed=3)
        second, again = _study(strategy_case, seed=3)
        assert [(s, seed) for _, s, seed in runs] == [(s, seed) for _, s, seed in again]
        assert first.settings == second.settings and first.stop_reason == second.stop_reason

    def test_resumes_without_running_a_finished_run_again(self, strategy_case: StrategyCase) -> None:
        import optuna

        storage = optuna.storages.InMemoryStorage()
        ended: set[str] = set()

        def crash(status: StudyStatus) -> None:
            done = sum(p.runs_done for p in status.settings)
            if done >= 3:
                ended.update(r for t in optuna.load_study(study_name="contract", storage=storage).get_trials()
                             for r in (a.removeprefix("record:") for a in t.user_attrs if a.startswith("record:")))
                raise _Crash

        with pytest.raises(_Crash):
            _study(strategy_case, storage=storage, on_status=crash)
        assert ended
        rec, after = _study(strategy_case, storage=storage)
        assert not ended & {run_id for run_id, _, _ in after}
        assert ended <= {r.run_id for r in rec.runs}
        assert len(rec.runs) == len({r.run_id for r in rec.runs})
        assert rec.spent["iterations"] <= strategy_case.budget

    def test_stops_with_a_reason(self, strategy_case: StrategyCase) -> None:
        rec, _ = _study(strategy_case)
        assert isinstance(rec.stop_reason, StopReason) or rec.stop_reason in {r.value for r in StopReason}
        assert rec.verdict is not None and rec.verdict.pick == {k: rec.settings[k] for k in rec.verdict.pick}


    def test_takes_a_warm_start_or_refuses_it(self, strategy_case: StrategyCase) -> None:
        grid = strategy_case.space.grid()
        favorite = grid[-1]  # the grid's last setting: first only if the prior put it there
        task = strategy_case.template.task
        past = {"task": task, "runs": [{"settings": {**s, "seed": 0}, "best_val": float(s == favorite)} for s in grid]}
        prior = Prior.of([past], task, {task: strategy_case.info})
        context = replace(strategy_case.plan, strategy=strategy_case.strategy).context(
            strategy_case.space, planned_runs=None, seed=0, study_name="contract", max_seeds=1,
        )
        if not make_strategy(strategy_case.strategy, context).uses_prior:
            with pytest.raises(ConfigError, match="warm start needs a strategy that starts from a prior"):
                _study(strategy_case, prior=prior)
            return
        rec, runs = _study(strategy_case, prior=prior)
        first = dict(runs[0][1])
        assert {k: first[k] for k in favorite} == favorite
        assert rec.warm_start is not None and rec.warm_start["studies"] == 1


def _study(
    case: StrategyCase, *, seed: int = 0, storage: object = None, on_status: Callable[[StudyStatus], None] | None = None,
    prior: Prior | None = None,
) -> tuple[Recommendation, list[tuple[str, tuple, int]]]:
    """Run the case's study; returns the recommendation and the jobs submitted, in order."""
    plan = replace(case.plan, strategy=case.strategy)
    with _Recording(case.executor()) as executor:
        rec = Controller(
            case.template, info=case.info, executor=executor, budget=Budget(iterations=case.budget), space=case.space,
            plan=plan, parallel=case.parallel, seed=seed, storage=storage, study_name=None if storage is None else "contract",
            on_status=on_status, prior=prior,
        ).run()
    return rec, executor.submitted
