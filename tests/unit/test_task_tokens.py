"""A run's tokens count the task's own LLM tokens (an executor's, ``trace.TASK_TOKENS``) next to the optimizer's."""

from __future__ import annotations

import autoloop
from autoloop.trace import TASK_TOKENS, Trace
from tests.toy_task import ToyTask

PER_ROLLOUT = 7


class PayingToyTask(ToyTask):
    """``toy:linear`` whose every rollout costs ``PER_ROLLOUT`` executor tokens."""

    name = "paying:linear"

    def rollout(self, artifact, instance, horizon):
        trace = super().rollout(artifact, instance, horizon)
        return Trace(trace.instance_id, trace.split, trace.steps, trace.score, trace.feedback, metrics={TASK_TOKENS: PER_ROLLOUT})


def test_the_tokens_of_a_run_include_the_tasks_own() -> None:
    task = PayingToyTask()
    result = autoloop.run(task, iterations=3, optimizer="local")  # the local optimizer spends none
    # Every rollout: the loop's (train batches, validations, the final test) and the test scores of the
    # meta-overfitting curve (executors._run.score_test_curve).
    assert result.tokens == PER_ROLLOUT * len(task.rollout_log) > PER_ROLLOUT * result.failures.evaluations
