"""AtariTask: one game, environment seeds as instances; the candidate's policy runs confined.

The rollout (emulator, step loop, reward accounting) runs here, in the trusted process;
only ``act(objects)`` runs in the sandbox, one session per rollout (see ``_rollout.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autoloop.artifact import Artifact
from autoloop.errors import ConfigError
from autoloop.tasks._base import Metric, Task
from autoloop.tasks.atari._games import Game, Protocol, get_game
from autoloop.tasks.atari._rollout import InvalidActionError, PolicyError, SessionPolicy, play
from autoloop.tasks.atari._runner import ENTRY
from autoloop.tasks.atari._summary import BUDGET_CHARS, build_trace
from autoloop.trace import Instance, Split, Trace, failed_trace

if TYPE_CHECKING:
    from autoloop.sandbox import Limits, Sandbox

PRELOAD = ("autoloop.tasks.atari._runner",)
PROTOCOL_ENV = "AUTOLOOP_ATARI_PROTOCOL"
# The default evaluation in a loop: one episode of at most 1000 steps per seed. The paper's
# protocols (e.g. Pong 10x4000) cost minutes per validation; ask for them with "paper".
LOOP_PROTOCOL = Protocol(1, 1000)
SEED_BASE: dict[Split, int] = {"train": 1000, "val": 2000, "test": 3000, "revalidation": 4000}
# Re-validation plays a fresh range of 6 seeds (twice val): it ranks runs on seeds nothing
# chose on, and costs one evaluation of 6 seeds per finished run: against the 7 validations
# x 3 seeds of a 6-iteration run, about 30% more evaluation (6 of 21 seed evaluations).
DEFAULT_SPLIT_SIZES: dict[Split, int] = {"train": 8, "val": 3, "test": 5, "revalidation": 6}
MEMORY_MB = 1024
# Generous per-step allowance (a step costs well under 1 ms) so only a hung policy times out.
SECONDS_PER_STEP = 0.01
FLOORS = {"Pong": -21.0, "Enduro": -100.0}

BACKGROUND = """\
Goal: improve a Python policy that plays the Atari game {game} from object coordinates.
{rules}
Interface: the policy module defines act(objects) -> action, called once per environment step
(frame skip 4, no sticky actions). objects maps a name to a dict with x, y (top-left, screen
pixels, y grows downward), w, h and dx, dy (motion since the previous step); an object that
is not on screen is absent. Actions: one of {actions} (or its index). Policies are stateless.
Score: total reward. A training trace is a segment of H consecutive steps of one seed's
ongoing episode (H = the credit horizon); evaluation plays {protocol} (episodes x max steps)
per seed and scores the mean episode return.
"""


def resolve_protocol(game: Game, protocol: Protocol | str | None) -> Protocol:
    """``None`` -> the short loop default; ``"paper"`` -> the game's own; ``"3x2500"`` -> parsed."""
    if protocol is None:
        protocol = LOOP_PROTOCOL
    if isinstance(protocol, Protocol):
        return protocol
    if protocol.strip().lower() == "paper":
        return game.protocol
    return Protocol.parse(protocol)


class AtariTask(Task):
    """``atari:<Game>``: optimize a policy over RAM-extracted objects for one of eight games.

    Instances are environment seeds; train, val, test and revalidation seeds come from
    disjoint ranges.
    A seed changes how each episode starts (0-30 steps of seeded random actions; with sticky
    actions off the emulator is deterministic, and several games stay close to it). A
    training rollout with credit horizon H continues that seed's episode for H steps from
    where its previous segment stopped (a new episode once one ends), so horizon 1 updates
    after every step of a running game, as in the paper. Segment positions live in the task
    object until ``reset``, so a resumed loop starts fresh episodes.

    Args:
        game: One of ``GAMES`` (``Pong``, ``Breakout``, ...).
        protocol: Evaluation protocol (``Protocol``, ``"3x2500"`` or ``"paper"``); default
            ``LOOP_PROTOCOL`` (1x1000). Jobs carry the one ``$AUTOLOOP_ATARI_PROTOCOL`` named
            where the study was created (the family's ``options``).
        split_sizes: Seeds per split; default 8 train, 3 val, 5 test, 6 revalidation.
        budget_chars: Text budget of one trace shown to the optimizer.
    """

    policy_family = "atari"
    artifacts = ("modular", "monolithic")
    batch_sizes = (1, 2, 4)
    metric = Metric("reward")
    own_revalidation = True
    reads_data = False  # games come with ale-py: `--data` / `data_dir` is refused

    def __init__(
        self,
        game: str,
        *,
        protocol: Protocol | str | None = None,
        split_sizes: dict[Split, int] | None = None,
        budget_chars: int = BUDGET_CHARS,
    ) -> None:
        self.game = get_game(game)
        self.name = f"atari:{self.game.name}"
        self.policy_family = f"atari/{self.game.name}"
        self.horizons = self.game.horizons
        self.failure_score = FLOORS.get(self.game.name, 0.0)
        self.protocol = resolve_protocol(self.game, protocol)
        sizes = {**DEFAULT_SPLIT_SIZES, **(split_sizes or {})}
        if any(not 1 <= n <= 999 for n in sizes.values()):
            raise ConfigError(f"split_sizes: each split needs 1..999 seeds, got {sizes}; pass counts in that range")
        self.split_sizes = sizes
        self.budget_chars = budget_chars
        self.background = BACKGROUND.format(
            game=self.game.name, rules=self.game.rules, actions=self._action_names(), protocol=self.protocol
        )
        self.segments: dict[str, dict[str, Any]] = {}
        self._sandbox: Sandbox | None = None

    def _action_names(self) -> str:
        aliases = [f"{a} (= {t})" for a, t in self.game.aliases.items()]
        return ", ".join([*self.game.actions, *aliases])

    def split(self, name: Split) -> Sequence[Instance]:
        if name not in SEED_BASE:
            raise ValueError(f"unknown split {name=}; use one of {sorted(SEED_BASE)}")
        base = SEED_BASE[name]
        return [Instance(f"seed-{base + i}", name, base + i) for i in range(self.split_sizes[name])]

    def rollout(self, artifact: Artifact, instance: Instance, horizon: int | None) -> Trace:
        episodes, max_steps = self.protocol.episodes, self.protocol.max_steps
        planned = horizon if horizon is not None else episodes * max_steps
        resume = self.segments.get(instance.id) if horizon is not None else None
        with self.sandbox().session(ENTRY, artifact.source, self.game.name, limits=self._limits(planned)) as session:
            try:
                result = play(SessionPolicy(session), self.game.name, instance.data, episodes, max_steps, horizon, resume)
            # The candidate's failures: an action that is not one, or a policy that stopped answering.
            except InvalidActionError as exc:
                return failed_trace(instance, f"InvalidActionError: {exc}", score=self.failure_score)
            except PolicyError as exc:
                return failed_trace(instance, str(exc), score=self.failure_score)
        if horizon is not None:
            self.segments[instance.id] = result["resume"]
        return build_trace(self.game, instance, result, horizon=horizon, budget_chars=self.budget_chars)

    def _limits(self, steps: int) -> Limits:
        from autoloop.sandbox import Limits

        return Limits(timeout_s=30 + steps * SECONDS_PER_STEP, memory_mb=MEMORY_MB)

    def sandbox(self) -> Sandbox:
        """The task's sandbox, started on first use with the emulator preloaded."""
        if self._sandbox is None:
            from autoloop.sandbox import Sandbox

            self._sandbox = Sandbox(limits=self._limits(1), preload=PRELOAD)
        return self._sandbox

    def reset(self) -> None:
        """Forget segment positions: the next run starts fresh episodes."""
        self.segments.clear()

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
