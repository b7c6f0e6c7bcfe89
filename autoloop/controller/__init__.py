"""The outer controller: search over loop settings (best-arm identification over seeds, or
Optuna with pruning and a re-check on test), recommend one with a verdict."""

from autoloop.controller._arms import BEST_ARM_MAX_SETTINGS, DEFAULT_RULE, RULES, Comparison, allocation_rule
from autoloop.controller._budget import Budget, Meter
from autoloop.controller._controller import (
    DEFAULT_ITERATIONS,
    FINAL_SEED_BASE,
    Controller,
    LoopPlan,
)
from autoloop.controller._defaults import DEFAULT_TOLERANCE, Cell, HeldOut, RobustDefaults, Standing, setting_key
from autoloop.controller._estimates import Estimates
from autoloop.controller._plan import API_NAMES, CLI_NAMES, DEFAULT_PRESET, PRESETS, FieldNames, StudyPlan
from autoloop.controller._prior import Prior, warm_prior
from autoloop.controller._progress import SettingProgress
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
from autoloop.controller._runs import RunBook, StudyStatus
from autoloop.controller._samplers import (
    DEFAULT_SAMPLER,
    DEFAULT_STRATEGY,
    SamplerFactory,
    make_sampler,
    register_sampler,
    resolve_strategy,
    sampler_names,
    strategy_names,
)
from autoloop.controller._scores import Evidence, evidence, evidence_of_runs, robust_defaults
from autoloop.controller._space import KNOBS, SearchSpace, parse_spec
from autoloop.controller._study import create_study
from autoloop.controller._suite import (
    AGGREGATES,
    SuiteResult,
    SuiteTask,
    aggregate_scores,
    run_suite,
    share_budget,
    shared_space,
)
from autoloop.controller._verdict import DEFAULT_CONFIDENCE, Verdict
from autoloop.controller._verdict import label as setting_label

__all__ = [
    "AGGREGATES",
    "API_NAMES",
    "BEST_ARM_MAX_SETTINGS",
    "CLI_NAMES",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_ITERATIONS",
    "DEFAULT_PRESET",
    "DEFAULT_PRUNER",
    "DEFAULT_RULE",
    "DEFAULT_SAMPLER",
    "DEFAULT_STRATEGY",
    "DEFAULT_TOLERANCE",
    "FINAL_SEED_BASE",
    "KNOBS",
    "PRESETS",
    "RULES",
    "Budget",
    "Cell",
    "Comparison",
    "Controller",
    "Estimates",
    "Evidence",
    "FieldNames",
    "HeldOut",
    "Interval",
    "LoopPlan",
    "MetaOverfitting",
    "Meter",
    "Prior",
    "PrunerFactory",
    "Recommendation",
    "RobustDefaults",
    "RunBook",
    "RunRecord",
    "SamplerFactory",
    "SearchSpace",
    "SettingProgress",
    "SettingReport",
    "Standing",
    "StudyPlan",
    "StudyStatus",
    "SuiteResult",
    "SuiteTask",
    "Verdict",
    "aggregate_scores",
    "allocation_rule",
    "create_study",
    "evidence",
    "evidence_of_runs",
    "make_pruner",
    "make_sampler",
    "parse_spec",
    "pruner_names",
    "register_pruner",
    "register_sampler",
    "resolve_strategy",
    "robust_defaults",
    "run_suite",
    "sampler_names",
    "setting_key",
    "setting_label",
    "share_budget",
    "shared_space",
    "strategy_names",
    "warm_prior",
]
