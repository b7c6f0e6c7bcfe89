"""CartPoleTask: a gymnasium environment stepped on the trusted side, the candidate's ``act`` confined.

Each rollout opens one ``Sandbox.session``: the parent resets the environment with the
instance's seed, sends every observation to the child, checks the action it answers (0 or 1)
and steps the environment itself, so the reward is never the candidate's to report.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import gymnasium

from autoloop.artifact import Artifact
from autoloop.sandbox import Limits, Sandbox
from autoloop.tasks import Metric, Task
from autoloop.trace import Instance, Split, Step, Trace, failed_trace
from autoloop_cartpole._entry import OBSERVATION

ENTRY = "autoloop_cartpole._entry:serve_policy"
# An episode ends after this many steps at most (gymnasium's CartPole-v0 length).
EPISODE_STEPS = 200
ACTIONS = (0, 1)
# Environment seeds per split: disjoint, so test episodes start from states no run trained or validated on.
SEEDS: dict[Split, range] = {"train": range(16), "val": range(1000, 1004), "test": range(2000, 2006)}


class CartPoleTask(Task):
    """Balance a pole: score = steps the pole stayed up (higher is better, at most 200).

    An instance is an environment seed (the starting state). A training rollout with credit
    horizon ``h`` runs the first ``h`` steps of that episode and scores the reward of those
    steps only: a *truncated* rollout, cut by the loop, not ended by the pole falling.
    Validation and test always run whole episodes.
    """

    name = "cartpole:balance"
    artifact_dir = Path(__file__).parent / "starting"
    artifacts = ("lean", "angle", "position")
    horizons = (200, 40, 10)
    batch_sizes = (1, 4)
    metric = Metric("steps balanced", higher_is_better=True)
    background = (
        "Write act(observation) returning 0 (push left) or 1 (push right) so that the pole on the cart "
        "stays upright as long as possible (at most 200 steps). Each step shows the observation "
        "(x, x_dot, theta, theta_dot), your action and whether the pole is still up."
    )
    failure_score = 0.0

    def __init__(self) -> None:
        self.env = gymnasium.make("CartPole-v1", max_episode_steps=EPISODE_STEPS)
        self.sandbox = Sandbox(limits=Limits(timeout_s=30, memory_mb=512))

    def split(self, name: Split) -> Sequence[Instance]:
        return [Instance(f"{name}-{seed}", name, seed) for seed in SEEDS[name]]

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        limit = EPISODE_STEPS if horizon is None else min(horizon, EPISODE_STEPS)
        observation, _ = self.env.reset(seed=instance.data)
        steps: list[Step] = []
        fell = False
        with self.sandbox.session(ENTRY, artifact.source) as session:
            while len(steps) < limit and not fell:
                reply = session.exchange(OBSERVATION.pack(*observation))
                if reply is None:
                    break  # the child ended: session.outcome says why
                action = int(reply) if reply.isdigit() else None
                if action not in ACTIONS:
                    got = reply.decode(errors="replace").lstrip("?")
                    return failed_trace(instance, f"act must return 0 or 1, got {got}", score=self.failure_score)
                shown = ", ".join(f"{v:.3f}" for v in observation)
                observation, reward, fell, _, _ = self.env.step(action)
                steps.append(Step(f"({shown})", str(action), "the pole fell" if fell else "", reward=float(reward)))
        outcome = session.outcome
        if outcome is not None and not outcome.ok:
            return failed_trace(instance, outcome.error or "the policy failed", score=self.failure_score)
        return Trace(instance.id, instance.split, tuple(steps), float(len(steps)), feedback=_feedback(len(steps), limit, fell))

    def close(self) -> None:
        self.sandbox.close()
        self.env.close()


def _feedback(balanced: int, limit: int, fell: bool) -> str:
    if fell:
        return f"the pole fell after {balanced} steps"
    if limit < EPISODE_STEPS:
        return f"cut at the credit horizon after {balanced} steps with the pole still up (the episode goes on to {EPISODE_STEPS})"
    return f"the pole stayed up for all {balanced} steps"
