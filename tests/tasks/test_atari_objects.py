"""RAM object extraction for the eight Atari games, checked by stepping the real emulator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from autoloop.tasks.atari import GAMES, with_motion
from autoloop.tasks.atari._env import AtariEnv

Plan = Callable[[int], str]


def play(game: str, plan: Plan, steps: int) -> list[dict[str, dict[str, int]]]:
    """Objects after each step of ``plan`` (action name by step index) from the power-on state."""
    spec = GAMES[game]
    env = AtariEnv(spec.rom, seed=0)
    env.ale.reset_game()  # no random start: the test knows where the player begins
    prev_ram = env.ram()
    prev_boxes = spec.extract(prev_ram, prev_ram)
    frames = []
    for t in range(steps):
        env.step(env.action_names.index(plan(t)))
        ram = env.ram()
        boxes = spec.extract(ram, prev_ram)
        objects = with_motion(boxes, prev_boxes)
        if spec.values is not None:
            for name, value in spec.values(ram).items():
                objects[name]["value"] = value
        frames.append(objects)
        prev_ram, prev_boxes = ram, boxes
    return frames


def hold(action: str, after: int = 0, before: str = "NOOP") -> Plan:
    return lambda t: action if t >= after else before


@dataclass(frozen=True)
class Move:
    """Hold ``action`` from step ``after`` (``before`` until then) for ``steps`` steps in all;
    the player's ``axis`` coordinate must change with ``sign`` over the held stretch."""

    action: str
    axis: str
    sign: int
    steps: int = 20
    after: int = 0
    before: str = "NOOP"


# Space Invaders, Q*bert and Seaquest ignore input for about 40 steps after power-on.
MOVES = {
    "Pong": [Move("RIGHT", "y", -1), Move("LEFT", "y", +1)],
    "Breakout": [Move("RIGHT", "x", +1), Move("LEFT", "x", -1)],
    "SpaceInvaders": [Move("RIGHT", "x", +1, 70, 40), Move("LEFT", "x", -1, 100, 70, "RIGHT")],
    "Freeway": [Move("UP", "y", -1, 30), Move("DOWN", "y", +1, 30, 20, "UP")],
    "Asterix": [Move("UP", "y", -1), Move("RIGHT", "x", +1), Move("LEFT", "x", -1)],
    "Enduro": [Move("RIGHTFIRE", "x", +1, 30, 5, "FIRE"), Move("LEFTFIRE", "x", -1, 30, 5, "FIRE")],
    "Qbert": [Move("RIGHT", "x", +1, 60, 40), Move("RIGHT", "y", +1, 60, 40), Move("DOWN", "x", -1, 60, 40)],
    "Seaquest": [Move("DOWN", "y", +1, 70, 40), Move("LEFT", "x", -1, 70, 40), Move("RIGHT", "x", +1, 70, 40)],
}


def test_every_game_has_movement_checks():
    assert set(MOVES) == set(GAMES)


@pytest.mark.parametrize(("game", "case"), [(g, i) for g, cases in MOVES.items() for i in range(len(cases))])
def test_known_actions_move_the_player_the_expected_way(game, case):
    move = MOVES[game][case]
    frames = play(game, hold(move.action, move.after, move.before), move.steps)
    track = [f["player"][move.axis] for f in frames[max(move.after - 1, 0) :] if "player" in f]
    assert len(track) >= (move.steps - move.after) // 2, f"{game}: player missing in most frames"
    moved = track[-1] - track[0]
    assert moved * move.sign > 0, f"{game}: {move.axis} went {track[0]} -> {track[-1]} under {move.action}"


# game -> (plan, steps, predicate on one frame's objects: the ball / enemies are on screen)
APPEAR = {
    "Pong": (hold("NOOP"), 60, lambda o: "ball" in o and "enemy" in o),
    "Breakout": (hold("FIRE"), 40, lambda o: "ball" in o),
    "SpaceInvaders": (hold("NOOP"), 5, lambda o: sum(n.startswith("alien") for n in o) == 36),
    "Freeway": (hold("NOOP"), 5, lambda o: sum(n.startswith("car") for n in o) == 10 and 0 <= o["car_0"]["x"] <= 160),
    "Asterix": (hold("NOOP"), 40, lambda o: any(n.startswith("enemy") for n in o)),
    "Enduro": (hold("FIRE"), 120, lambda o: any(n.startswith("car") for n in o)),
    "Qbert": (hold("NOOP"), 400, lambda o: "coily" in o),
    "Seaquest": (hold("NOOP"), 120, lambda o: any(n.startswith(("shark", "sub_")) for n in o)),
}


@pytest.mark.parametrize("game", sorted(APPEAR))
def test_ball_and_enemies_appear_when_on_screen(game):
    plan, steps, seen = APPEAR[game]
    frames = play(game, plan, steps)
    assert any(seen(objects) for objects in frames), f"{game}: expected objects never appeared in {steps} steps"


def test_objects_carry_coordinates_and_motion():
    frames = play("Pong", hold("RIGHT"), 10)
    player = frames[5]["player"]
    assert set(player) == {"x", "y", "w", "h", "dx", "dy"}
    assert player["dy"] == frames[5]["player"]["y"] - frames[4]["player"]["y"]
    assert any(f["player"]["dy"] < 0 for f in frames)


def test_space_invaders_shot_appears_and_aliens_die():
    frames = play("SpaceInvaders", hold("FIRE"), 120)
    assert any("player_bullet" in f for f in frames)
    assert sum(n.startswith("alien") for n in frames[-1]) < 36


def test_qbert_cube_colour_changes_where_qbert_lands():
    frames = play("Qbert", hold("RIGHT", after=40), 55)  # one hop down-right, onto cube (1, 1)
    assert frames[-1]["cube_1_1"]["value"] != frames[0]["cube_1_1"]["value"]
    assert frames[-1]["cube_1_0"]["value"] == frames[0]["cube_1_0"]["value"]


@pytest.mark.parametrize("game", sorted(GAMES))
def test_declared_action_sets_match_the_emulator(game):
    spec = GAMES[game]
    assert tuple(AtariEnv(spec.rom, seed=0).action_names) == spec.actions
