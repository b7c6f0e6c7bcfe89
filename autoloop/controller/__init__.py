"""The outer controller: any search strategy over loop settings (best-arm identification over
seeds, Optuna with pruning and a re-check, or a plug-in) through one scheduler loop, and a
recommendation with a verdict."""

from autoloop.controller._arms import AllocationRule, Comparison, Racing, SequentialHalving, TopTwoThompson
from autoloop.controller._best_arm import BestArmStrategy
from autoloop.controller._budget import Budget, Meter
from autoloop.controller._controller import MAX_SEEDS, Controller
from autoloop.controller._cost import StudyPrices, spend
from autoloop.controller._defaults import DEFAULT_TOLERANCE, Cell, HeldOut, RobustDefaults, Standing, setting_key
from autoloop.controller._estimates import Estimates
from autoloop.controller._interval import Interval
from autoloop.controller._optuna_search import OptunaStrategy, register_sampler
from autoloop.controller._plan import API_NAMES, CLI_NAMES, DEFAULT_PRESET, PRESETS, FieldNames, LoopPlan, StudyPlan
from autoloop.controller._plan import RANGES as PLAN_RANGES
from autoloop.controller._plan_estimate import PlanEstimate, UpdateSize, estimate_plan, update_tokens
from autoloop.controller._prior import Prior, warm_prior
from autoloop.controller._progress import SettingProgress
from autoloop.controller._pruners import (
    DEFAULT_PRUNER,
    PrunerFactory,
    make_pruner,
    pruner_names,
    register_pruner,
)
from autoloop.controller._recommendation import MetaOverfitting, Recommendation, SettingReport
from autoloop.controller._record import RunRecord, outcomes_of
from autoloop.controller._runs import RunBook, StudyStatus
from autoloop.controller._samplers import SamplerFactory, make_sampler, sampler_names
from autoloop.controller._scores import Evidence, evidence, evidence_of_runs, robust_defaults
from autoloop.controller._space import KNOBS, SearchSpace, parse_spec
from autoloop.controller._strategy import (
    BEST_ARM_MAX_SETTINGS,
    DEFAULT_STRATEGY,
    FINAL_SEED_BASE,
    Outcome,
    Proposal,
    SearchStrategy,
    StopReason,
    StrategyContext,
    StrategyFactory,
    make_strategy,
    register_strategy,
    resolve_strategy,
    strategy_names,
)
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
    "DEFAULT_PRESET",
    "DEFAULT_PRUNER",
    "DEFAULT_STRATEGY",
    "DEFAULT_TOLERANCE",
    "FINAL_SEED_BASE",
    "KNOBS",
    "MAX_SEEDS",
    "PLAN_RANGES",
    "PRESETS",
    "AllocationRule",
    "BestArmStrategy",
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
    "OptunaStrategy",
    "Outcome",
    "PlanEstimate",
    "Prior",
    "Proposal",
    "PrunerFactory",
    "Racing",
    "Recommendation",
    "RobustDefaults",
    "RunBook",
    "RunRecord",
    "SamplerFactory",
    "SearchSpace",
    "SearchStrategy",
    "SequentialHalving",
    "SettingProgress",
    "SettingReport",
    "Standing",
    "StopReason",
    "StrategyContext",
    "StrategyFactory",
    "StudyPlan",
    "StudyPrices",
    "StudyStatus",
    "SuiteResult",
    "SuiteTask",
    "TopTwoThompson",
    "UpdateSize",
    "Verdict",
    "aggregate_scores",
    "create_study",
    "estimate_plan",
    "evidence",
    "evidence_of_runs",
    "make_pruner",
    "make_sampler",
    "make_strategy",
    "outcomes_of",
    "parse_spec",
    "pruner_names",
    "register_pruner",
    "register_sampler",
    "register_strategy",
    "resolve_strategy",
    "robust_defaults",
    "run_suite",
    "sampler_names",
    "setting_key",
    "setting_label",
    "share_budget",
    "shared_space",
    "spend",
    "strategy_names",
    "update_tokens",
    "warm_prior",
]
