"""A thin ALE wrapper: frame skip 4, no sticky actions, seeded random starts, RAM as a list.

With sticky actions off the emulator is deterministic, so the instance seed acts through
the start of each episode: 0 to ``MAX_START_STEPS`` steps of seeded random actions before
the policy takes over (the "random starts" variant of the no-op-start protocol; no-ops
alone leave games such as Pong in the same state for every seed).
"""

from __future__ import annotations

import random

FRAME_SKIP = 4
MAX_START_STEPS = 30


class AtariEnv:
    """One game in one ALE instance.

    Args:
        rom: ALE ROM id, e.g. ``space_invaders``.
        seed: Seeds the no-op starts of successive episodes.
    """

    def __init__(self, rom: str, seed: int) -> None:
        from ale_py import ALEInterface, LoggerMode, roms

        ALEInterface.setLoggerMode(LoggerMode.Error)
        self.ale = ALEInterface()
        self.ale.setInt("frame_skip", FRAME_SKIP)
        self.ale.setFloat("repeat_action_probability", 0.0)
        self.ale.setInt("random_seed", seed)
        self.ale.loadROM(roms.get_rom_path(rom))
        self.actions = list(self.ale.getMinimalActionSet())
        self.action_names = [a.name for a in self.actions]
        self.seed = seed

    def reset(self, episode: int) -> None:
        """Start episode number ``episode`` with its seeded random start."""
        self.ale.reset_game()
        rng = random.Random(self.seed * 100_003 + episode)
        for _ in range(rng.randint(0, MAX_START_STEPS)):
            self.ale.act(rng.choice(self.actions))

    def ram(self) -> list[int]:
        """The 128 bytes of console RAM."""
        return self.ale.getRAM().tolist()

    def step(self, index: int) -> float:
        """Play the minimal-set action ``index`` for ``FRAME_SKIP`` frames; the summed reward."""
        return self.ale.act(self.actions[index])

    def game_over(self) -> bool:
        """True when the episode has ended."""
        return self.ale.game_over()

    def save(self) -> bytes:
        """The emulator state, to continue an episode in another process."""
        return self.ale.cloneState().serialize()

    def restore(self, state: bytes) -> None:
        """Continue from a ``save`` of the same game."""
        from ale_py import ALEState

        self.ale.restoreState(ALEState(state))
