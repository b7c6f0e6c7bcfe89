"""Search strategies replayed against the table; each returns what it recommends at each budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean

import numpy as np

from autoloop.controller import Budget, Controller, Prior, SearchSpace, StudyPlan, make_sampler
from autoloop.executors import RunTemplate
from autoloop.llm import Endpoint, LLMConfig
from autoloop.tasks import Metric, TaskInfo
from benchmarks.tabular._executor import TableExecutor
from benchmarks.tabular._table import KNOBS, Setting, TaskTable


@dataclass(frozen=True)
class Anytime:
    """``(iterations spent, recommended setting)`` each time the recommendation may change."""

    points: tuple[tuple[int, Setting], ...]

    def at(self, budget: int) -> Setting | None:
        """The recommendation once ``budget`` iterations are spent (``None`` before the first)."""
        out = None
        for cost, setting in self.points:
            if cost > budget:
                break
            out = setting
        return out


def _best_so_far(evaluated: Sequence[tuple[int, Setting, float]]) -> Anytime:
    points, best, spent = [], None, 0
    for cost, setting, value in evaluated:
        spent += cost
        if best is None or value > best[1]:
            best = (setting, value)
        points.append((spent, best[0]))
    return Anytime(tuple(points))


def _value(table: TaskTable, setting: Setting, seeds: Sequence[int]) -> float:
    runs = table.runs[setting]
    return mean(runs[s % len(runs)].rank_value(table.iterations) for s in seeds)


def paper_grid(table: TaskTable, rng: np.random.Generator, seeds: Sequence[int]) -> Anytime:
    """The paper's protocol: every setting with every one of ``seeds`` (in a random order), best mean
    validation (re-validation, when the table has it)."""
    order = [table.settings[i] for i in rng.permutation(len(table.settings))]
    return _best_so_far([(len(seeds) * table.iterations, s, _value(table, s, seeds)) for s in order])


def random_search(table: TaskTable, rng: np.random.Generator, seeds: Sequence[int]) -> Anytime:
    """Settings drawn without replacement, ``len(seeds)`` runs each, best mean validation (re-validation when recorded)."""
    order = [table.settings[i] for i in rng.permutation(len(table.settings))]
    return _best_so_far([(len(seeds) * table.iterations, s, _value(table, s, seeds)) for s in order])


def tpe_search(table: TaskTable, rng: np.random.Generator, seeds: Sequence[int]) -> Anytime:
    """Optuna TPE (the controller's sampler) without pruning; a repeated setting costs nothing."""
    import optuna

    space = SearchSpace(table.space())
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=make_sampler("tpe", space, seed=int(rng.integers(2**31))))
    seen: dict[Setting, float] = {}
    evaluated = []
    for _ in range(20 * len(table.settings)):
        if len(seen) == len(table.settings):
            break
        trial = study.ask()
        setting = tuple(space.suggest(trial)[k] for k in KNOBS)
        fresh = setting not in seen
        if fresh:
            seen[setting] = _value(table, setting, seeds)  # type: ignore[index]
            evaluated.append((len(seeds) * table.iterations, setting, seen[setting]))
        study.tell(trial, seen[setting])
    return _best_so_far(evaluated)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ControllerConfig:
    """How the autoloop controller is configured in the replay (``sampler``: any strategy name;
    a best-arm rule gives each setting at most ``seeds`` seeds, the search seeds of the replay)."""

    seeds: int = 2
    top_k: int = 2
    final_seeds: int = 2
    pruner: str = "sha"
    sampler: str = "tpe"
    confidence: float | None = None

    @property
    def best_arm(self) -> bool:
        """A best-arm rule rather than an Optuna sampler."""
        return self.sampler in ("halving", "racing", "ttts")

    def minimum_budget(self, iterations: int) -> int:
        """Iterations below which the controller refuses to run (one run; with an Optuna sampler,
        one trial plus the final stage)."""
        return iterations if self.best_arm else (self.seeds + self.top_k * self.final_seeds) * iterations

    @property
    def label(self) -> str:
        """Short name for tables."""
        if self.best_arm:
            return f"controller {self.sampler}" + ("" if self.confidence is None else f" @{self.confidence}")
        sampler = "" if self.sampler == "tpe" else f" {self.sampler}"
        return f"controller{sampler} {self.pruner} S={self.seeds} k={self.top_k} F={self.final_seeds}"


def table_info(table: TaskTable) -> TaskInfo:
    """The recorded grid as a task's declarations; scores are the table's internal, higher-is-better values."""
    space = table.space()
    return TaskInfo(*(tuple(space[k]) for k in KNOBS), Metric("score"))


def controller(
    table: TaskTable, sampler_seed: int, budget: int, config: ControllerConfig, order: Sequence[int], *, prior: Prior | None = None
) -> tuple[Setting, int, str, bool]:
    """Run the real ``Controller`` against the table; returns its pick, the iterations it used,
    why its search ended (``space`` = every setting tried: a larger budget changes nothing) and
    whether its verdict is "no significant difference". ``prior``: a warm start.

    ``order`` maps seeds to recorded seeds: search seeds 0..S-1 take the first entries, the
    final stage's fresh seeds the next ones (wrapping when the table has too few).
    """
    from autoloop.controller import FINAL_SEED_BASE

    def seed_index(seed: int) -> int:
        slot = seed if seed < FINAL_SEED_BASE else config.seeds + seed - FINAL_SEED_BASE
        return order[slot % len(order)]

    executor = TableExecutor(table, seed_index, parallel=2)
    # "table": the optimizer the replays stand for; no endpoint, whatever the environment.
    template = RunTemplate(task=table.task, data_dir=None, task_options={}, optimizer="table", endpoint=Endpoint.of(LLMConfig()))
    plan = StudyPlan.resolve(
        iterations=table.iterations, seeds=config.seeds, top_k=config.top_k, final_seeds=config.final_seeds,
        strategy=config.sampler, pruner=config.pruner, confidence=config.confidence,
    )
    ctl = Controller(
        template, info=table_info(table), executor=executor, budget=Budget(iterations=budget), space=SearchSpace(table.space()),
        plan=plan, parallel=2, seed=sampler_seed, max_seeds=min(config.seeds, len(order)),
        study_name=f"replay-{sampler_seed}",  # Optuna's hyperband buckets trials by study name: fixed, so replays repeat
        prior=prior,
    )
    rec = ctl.run()
    tie = rec.verdict is not None and not rec.verdict.certain
    return tuple(rec.winner.settings[k] for k in KNOBS), executor.consumed, rec.stop_reason, tie  # type: ignore[return-value]
