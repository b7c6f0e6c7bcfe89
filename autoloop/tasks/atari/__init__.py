"""Atari tasks: eight games played from RAM-extracted object coordinates (``atari:Pong`` ...).

The evaluation protocol defaults to a short one for loops (see ``LOOP_PROTOCOL``); set
``AUTOLOOP_ATARI_PROTOCOL=paper`` (or e.g. ``3x2500``) for the paper's where a study or run
is created: the protocol is resolved there once and every job carries it (task option ``protocol``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from autoloop.tasks._registry import TaskFamily, TaskInfo, check_options, register_task
from autoloop.tasks.atari._games import GAMES, Game, Protocol, Stage, get_game
from autoloop.tasks.atari._objects import with_motion
from autoloop.tasks.atari._task import LOOP_PROTOCOL, PROTOCOL_ENV, AtariTask, resolve_protocol

__all__ = [
    "FAMILY",
    "GAMES",
    "LOOP_PROTOCOL",
    "PROTOCOL_ENV",
    "AtariTask",
    "Game",
    "Protocol",
    "Stage",
    "get_game",
    "resolve_protocol",
    "with_motion",
]


def _options(variant: str) -> dict[str, Any]:
    """``{"protocol": "EPISODESxSTEPS"}``: ``$AUTOLOOP_ATARI_PROTOCOL`` (or the loop default), resolved."""
    return {"protocol": str(resolve_protocol(get_game(variant), os.environ.get(PROTOCOL_ENV) or None))}


def _create(variant: str, data_dir: Path | None, options: dict[str, Any]) -> AtariTask:
    del data_dir  # the ROMs ship with ale-py
    check_options(f"atari:{variant}", options, ("protocol",))
    return AtariTask(variant, protocol=options["protocol"])


def _describe(variant: str) -> TaskInfo:
    """The game's own horizons (``AtariTask`` sets them per game when built), read off ``GAMES``."""
    game = get_game(variant)
    return TaskInfo(AtariTask.artifacts, game.horizons, AtariTask.batch_sizes, AtariTask.metric, reads_data=False)


FAMILY = register_task(TaskFamily("atari", tuple(GAMES), _create, _describe, options=_options))
