"""The CartPole example plug-in: the task contract, and the claim the quickstart rests on.

The quickstart's verdict depends on one mechanism of the ``local`` optimizer: it changes the
numbers in the code, never its terms. So a start that reads the pole's angular velocity
(``lean``) can learn to balance, and one that reads only the angle (``angle``) cannot.
One loop run of each, same seed (about 20 s on a busy machine), shows it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import autoloop
from autoloop.tasks import get_task, register_task
from autoloop.testing.tasks import TaskCase, TaskContract

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "autoloop-cartpole"))
from autoloop_cartpole import FAMILY, CartPoleTask  # from the example folder, not installed

register_task(FAMILY)


class TestCartPoleContract(TaskContract):
    @pytest.fixture(scope="class")
    @classmethod
    def task_case(cls) -> TaskCase:
        return TaskCase("cartpole:balance", create=lambda: get_task("cartpole:balance"))


class InProcessCartPole(CartPoleTask):
    """The same task under a family of its own: ``autoloop.run`` registers the object it is given."""

    name = "cartpole_inprocess:balance"


@pytest.fixture(scope="module")
def task() -> CartPoleTask:
    built = InProcessCartPole()
    yield built
    built.close()


def test_only_a_start_with_a_place_for_the_angular_velocity_learns_to_balance(task: CartPoleTask) -> None:
    runs = {start: autoloop.run(task, artifact=start, iterations=16, seed=1, optimizer="local") for start in ("lean", "angle")}
    start_val = runs["lean"].curve[0][1]
    assert runs["lean"].best_val > 2 * start_val, runs["lean"].curve
    assert runs["angle"].best_val < 60, runs["angle"].curve


def test_a_rollout_cut_by_the_horizon_scores_its_steps_and_says_so(task: CartPoleTask) -> None:
    artifact = task.starting_artifact("lean")
    instance = task.split("train")[0]
    cut = task.rollout(artifact, instance, 5)
    assert cut.score == 5 == len(cut.steps) and cut.error is None
    assert "cut at the credit horizon" in cut.feedback
    whole = task.rollout(artifact, instance, None)
    assert whole.score == len(whole.steps) < 200 and "fell" in whole.feedback


def test_an_action_outside_0_1_is_a_failed_evaluation(task: CartPoleTask) -> None:
    bad = task.starting_artifact("lean").with_updates({"act": "def act(observation):\n    return 2\n"})
    trace = task.rollout(bad, task.split("train")[0], None)
    assert trace.error is not None and "act must return 0 or 1, got 2" in trace.error and trace.score == task.failure_score
