"""StudyPlan: presets, overrides, and a budget too small for one round refused with what fits."""

from __future__ import annotations

import pytest

from autoloop.controller import API_NAMES, DEFAULT_PRESET, PRESETS, Budget, SearchSpace, StudyPlan
from autoloop.errors import ConfigError, UnknownNameError
from autoloop.tasks import describe_task


@pytest.fixture
def titanic() -> SearchSpace:
    return SearchSpace.from_task(describe_task("mlpipeline:spaceship-titanic"))


def test_the_default_plan_fits_60_iterations_on_the_default_titanic_space_with_any_strategy(titanic: SearchSpace):
    for sampler in ("auto", "tpe"):
        plan = StudyPlan.resolve(strategy=sampler)
        assert plan.preset == DEFAULT_PRESET
        assert plan.round_cost(titanic)[0] <= 60
        plan.check_budget(Budget(60), titanic)


def test_each_presets_default_budget_pays_for_its_first_round(titanic: SearchSpace):
    for name, preset in PRESETS.items():
        for sampler in ("auto", "tpe"):
            plan = StudyPlan.resolve(name, strategy=sampler)
            plan.check_budget(plan.budget(), titanic)
            assert plan.budget().iterations == preset.budget_iterations


def test_overrides_replace_preset_values_and_are_recorded():
    plan = StudyPlan.resolve("quick", seeds=3, top_k=None)
    assert (plan.seeds, plan.top_k, plan.overrides) == (3, PRESETS["quick"].top_k, ("seeds",))
    assert StudyPlan.from_dict(plan.to_dict()) == plan


def test_a_budget_too_small_names_the_preset_that_fits_and_the_budget_needed(titanic: SearchSpace):
    with pytest.raises(ConfigError) as caught:
        StudyPlan.resolve(strategy="tpe").check_budget(Budget(40), titanic)
    assert str(caught.value) == (
        "--budget-iterations 40 is too small for preset standard (needs >= 48: one round of tpe is 8 runs x 6 iterations); "
        "use --preset quick or --budget-iterations 48"
    )
    with pytest.raises(ConfigError, match=r"^budget.iterations 40 .* use preset=quick or budget.iterations=48$"):
        StudyPlan.resolve(strategy="tpe").check_budget(Budget(40), titanic, API_NAMES)


def test_when_no_preset_fits_the_message_names_the_space_or_the_overrides(titanic: SearchSpace):
    with pytest.raises(ConfigError, match=r"use --budget-iterations 36 or a smaller --space \(6 settings now\)"):
        StudyPlan.resolve().check_budget(Budget(20), titanic)
    with pytest.raises(ConfigError, match=r"use --budget-iterations 90 or fewer --seeds, --final-seeds$"):
        StudyPlan.resolve(strategy="tpe", seeds=5, final_seeds=5).check_budget(Budget(20), titanic)


def test_limits_other_than_iterations_are_not_checked_against_the_round(titanic: SearchSpace):
    StudyPlan.resolve("thorough").check_budget(Budget(tokens=1000), titanic)


def test_bad_names_and_values_are_refused_by_field():
    with pytest.raises(UnknownNameError, match="unknown preset 'fast'; choose one of quick, standard, thorough"):
        StudyPlan.resolve("fast")
    with pytest.raises(ConfigError, match=r"unknown plan field\(s\) \['seed'\]"):
        StudyPlan.resolve(seed=3)
    with pytest.raises(ConfigError, match=r"^--seeds must be an integer in \[1, 100\], got 0$"):
        StudyPlan.resolve(seeds=0)
    with pytest.raises(ConfigError, match=r"^top_k must be an integer in \[1, 100\], got 0$"):
        StudyPlan.resolve(top_k=0, names=API_NAMES)
    with pytest.raises(ConfigError, match=r"^--pruner names no pruner; choose one of hyperband"):
        StudyPlan.resolve(pruner="asha")
    with pytest.raises(ConfigError, match=r"^seeds must be an integer in \[1, 100\], got -1$"):
        StudyPlan("mine", iterations=1, seeds=-1, top_k=1, final_seeds=1, budget_iterations=10)
