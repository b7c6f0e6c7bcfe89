"""The outer controller: search over loop settings, prune, re-check on test, recommend."""

from autoloop.controller._budget import Budget, Meter
from autoloop.controller._controller import (
    DEFAULT_ITERATIONS,
    FINAL_SEED_BASE,
    Controller,
    LoopPlan,
    StudyStatus,
)
from autoloop.controller._recommendation import (
    Interval,
    MetaOverfitting,
    Recommendation,
    RunRecord,
    SettingReport,
)
from autoloop.controller._space import KNOBS, SearchSpace, parse_spec
from autoloop.controller._study import (
    DEFAULT_PRUNER,
    DEFAULT_SAMPLER,
    PRUNERS,
    SAMPLERS,
    create_study,
)
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
    "PRUNERS",
    "SAMPLERS",
    "Budget",
    "Controller",
    "Interval",
    "LoopPlan",
    "MetaOverfitting",
    "Meter",
    "Recommendation",
    "RunRecord",
    "SearchSpace",
    "SettingReport",
    "StudyStatus",
    "SuiteResult",
    "SuiteTask",
    "aggregate_scores",
    "create_study",
    "parse_spec",
    "run_suite",
    "shared_space",
]
