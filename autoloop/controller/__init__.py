"""The outer controller: search over loop settings, prune, re-check on test, recommend."""

from autoloop.controller._budget import Budget, Meter
from autoloop.controller._controller import (
    DEFAULT_ITERATIONS,
    FINAL_SEED_BASE,
    Controller,
    LoopPlan,
    StudyStatus,
)
from autoloop.controller._pruners import (
    DEFAULT_PRUNER,
    PrunerFactory,
    make_pruner,
    pruner_names,
    register_pruner,
)
from autoloop.controller._recommendation import (
    Interval,
    MetaOverfitting,
    Recommendation,
    RunRecord,
    SettingReport,
)
from autoloop.controller._samplers import (
    DEFAULT_SAMPLER,
    SamplerFactory,
    make_sampler,
    register_sampler,
    sampler_names,
)
from autoloop.controller._space import KNOBS, SearchSpace, parse_spec
from autoloop.controller._study import create_study
from autoloop.controller._suite import (
    AGGREGATES,
    SuiteResult,
    SuiteTask,
    aggregate_scores,
    run_suite,
    shared_space,
)

__all__ = [
    "AGGREGATES",
    "DEFAULT_ITERATIONS",
    "DEFAULT_PRUNER",
    "DEFAULT_SAMPLER",
    "FINAL_SEED_BASE",
    "KNOBS",
    "Budget",
    "Controller",
    "Interval",
    "LoopPlan",
    "MetaOverfitting",
    "Meter",
    "PrunerFactory",
    "Recommendation",
    "RunRecord",
    "SamplerFactory",
    "SearchSpace",
    "SettingReport",
    "StudyStatus",
    "SuiteResult",
    "SuiteTask",
    "aggregate_scores",
    "create_study",
    "make_pruner",
    "make_sampler",
    "parse_spec",
    "pruner_names",
    "register_pruner",
    "register_sampler",
    "run_suite",
    "sampler_names",
    "shared_space",
]
