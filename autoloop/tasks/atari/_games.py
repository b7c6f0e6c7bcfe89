"""The eight games: ROM, object extractor, the paper's horizons and protocol, feedback stages."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from autoloop.errors import ConfigError, UnknownNameError
from autoloop.tasks.atari import _objects
from autoloop.tasks.atari._objects import Extractor, ValueExtractor


@dataclass(frozen=True)
class Protocol:
    """How a policy is evaluated on one seed: ``episodes`` episodes of at most ``max_steps`` steps."""

    episodes: int
    max_steps: int

    def __post_init__(self) -> None:
        if not (1 <= self.episodes <= 1000 and 1 <= self.max_steps <= 1_000_000):
            raise ConfigError(f"evaluation protocol needs 1..1000 episodes and 1..1e6 steps, got {self}")

    @classmethod
    def parse(cls, text: str) -> Protocol:
        """``"3x2500"`` -> 3 episodes of at most 2500 steps."""
        match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
        if match is None:
            raise ConfigError(f"evaluation protocol must look like EPISODESxSTEPS (e.g. 3x2500), got {text!r}")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.episodes}x{self.max_steps}"


@dataclass(frozen=True)
class Stage:
    """A feedback stage: applies while the score is below ``upper`` (or equal, if ``inclusive``)."""

    upper: float
    text: str
    inclusive: bool = False

    def holds(self, score: float) -> bool:
        """True when ``score`` falls in this stage."""
        return score <= self.upper if self.inclusive else score < self.upper


@dataclass(frozen=True)
class Game:
    """One Atari game as a task variant.

    Args:
        name: Variant name, e.g. ``SpaceInvaders``.
        actions: The ALE minimal action set, in index order.
        rom: ALE ROM id.
        extract: RAM -> boxes (see ``_objects``).
        multi_step: The paper's multi-step credit horizon for this game.
        protocol: The paper's evaluation protocol.
        stages: Feedback stages by episode score, lowest first; the last has ``upper=inf``.
        rules: One paragraph for the optimizer: objects, actions, rewards.
        aliases: Extra action names accepted from policies (e.g. Pong ``UP`` -> ``RIGHT``).
        values: Extra per-object numbers, shown as the object's ``value`` (Q*bert cube colours).
    """

    name: str
    actions: tuple[str, ...]
    rom: str
    extract: Extractor
    multi_step: int
    protocol: Protocol
    stages: tuple[Stage, ...]
    rules: str
    aliases: Mapping[str, str] = field(default_factory=dict)
    values: ValueExtractor | None = None

    @property
    def horizons(self) -> tuple[int, ...]:
        """Declared credit horizons: 1 (update after every step) and the paper's multi-step value."""
        return (1, self.multi_step)

    def stage(self, score: float) -> str:
        """The feedback text for an episode score."""
        return next(s.text for s in self.stages if s.holds(score))


INF = math.inf
PADDLE_FIRE_ACTIONS = ("NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE")
EIGHT_WAY_ACTIONS = ("NOOP", "UP", "RIGHT", "LEFT", "DOWN", "UPRIGHT", "UPLEFT", "DOWNRIGHT", "DOWNLEFT")
DRIVING_ACTIONS = ("NOOP", "FIRE", "RIGHT", "LEFT", "DOWN", "DOWNRIGHT", "DOWNLEFT", "RIGHTFIRE", "LEFTFIRE")
FULL_ACTIONS = (
    "NOOP", "FIRE", "UP", "RIGHT", "LEFT", "DOWN", "UPRIGHT", "UPLEFT", "DOWNRIGHT", "DOWNLEFT",
    "UPFIRE", "RIGHTFIRE", "LEFTFIRE", "DOWNFIRE", "UPRIGHTFIRE", "UPLEFTFIRE", "DOWNRIGHTFIRE", "DOWNLEFTFIRE",
)

GAMES: dict[str, Game] = {
    g.name: g
    for g in (
        Game(
            "Pong", PADDLE_FIRE_ACTIONS, "pong", _objects.pong, 400, Protocol(10, 4000),
            (
                Stage(0, "You lose at least as many points as you win: the paddle misses the ball. "
                      "Predict where the ball crosses the paddle's x and move there early.", inclusive=True),
                Stage(19, "You win more points than you lose, but the opponent still scores. "
                      "Refine the interception point and the paddle offset to return every ball."),
                Stage(INF, "Near-perfect play: you win (almost) every point."),
            ),
            "You control the right paddle ('player', x=140); the opponent is 'enemy' (left). "
            "Actions: NOOP, FIRE, UP (alias of RIGHT), DOWN (alias of LEFT), RIGHTFIRE, LEFTFIRE. "
            "+1 when the opponent misses, -1 when you miss; a game ends at 21.",
            {"UP": "RIGHT", "DOWN": "LEFT", "UPFIRE": "RIGHTFIRE", "DOWNFIRE": "LEFTFIRE"},
        ),
        Game(
            "Breakout", ("NOOP", "FIRE", "RIGHT", "LEFT"), "breakout", _objects.breakout, 300, Protocol(1, 4000),
            (
                Stage(0, "No bricks broken: launch the ball with FIRE and keep the paddle under it.", inclusive=True),
                Stage(300, "Some bricks broken, but balls are lost. Aim the paddle at where the ball "
                      "will land, not where it is."),
                Stage(INF, "Excellent: the wall is being cleared."),
            ),
            "You move the paddle ('player', y=189) LEFT/RIGHT; FIRE launches a new ball. "
            "Bricks give 1-7 points; you have 5 balls (lives).",
        ),
        Game(
            "SpaceInvaders", PADDLE_FIRE_ACTIONS, "space_invaders", _objects.space_invaders, 25, Protocol(1, 4000),
            (
                Stage(100, "Few invaders destroyed: shoot more often and stand under invaders."),
                Stage(300, "Some invaders destroyed; dodge enemy bullets and target the lowest invaders."),
                Stage(INF, "Strong play: many invaders destroyed."),
            ),
            "You move the cannon ('player', y=185) LEFT/RIGHT and FIRE; aliens 'alien_<row>_<col>' "
            "(row 0 on top), 'enemy_bullet_*' fall toward you, 'player_bullet' is your shot. "
            "Aliens give 5-30 points; you have 3 lives.",
        ),
        Game(
            "Freeway", ("NOOP", "UP", "DOWN"), "freeway", _objects.freeway, 100, Protocol(3, 2500),
            (
                Stage(0, "No crossing: hold UP and only wait when a car is about to hit the chicken.", inclusive=True),
                Stage(20, "Some crossings; cars push the chicken back. Time the lanes better."),
                Stage(INF, "Many crossings: near the best achievable pace."),
            ),
            "You move the chicken ('player', x=44) UP/DOWN across ten lanes of cars 'car_0' (top) .. "
            "'car_9'; +1 for each crossing to the top. A hit pushes the chicken back; no lives.",
        ),
        Game(
            "Asterix", EIGHT_WAY_ACTIONS, "asterix", _objects.asterix, 100, Protocol(3, 20000),
            (
                Stage(500, "Few items collected: move onto lanes with an 'item_*' and avoid 'enemy_*' lyres."),
                Stage(3000, "Items collected but lives lost to lyres; check a lane is clear before entering it."),
                Stage(INF, "Strong play: many items collected."),
            ),
            "You move Asterix ('player') between eight lanes (UP/DOWN) and along them (LEFT/RIGHT, "
            "and diagonals). Lane objects are 'item_<lane>' (points) or 'enemy_<lane>' (costs a life).",
        ),
        Game(
            "Enduro", DRIVING_ACTIONS, "enduro", _objects.enduro, 100, Protocol(1, 5000),
            (
                Stage(0, "Not passing cars: hold FIRE to accelerate and steer around cars ahead.", inclusive=True),
                Stage(200, "Passing cars, but collisions slow you down; steer away from cars in your lane earlier."),
                Stage(INF, "Excellent: 200+ cars passed."),
            ),
            "You drive the car ('player', y=144): FIRE accelerates, DOWN brakes, LEFT/RIGHT steer (combined "
            "as LEFTFIRE etc.). Other cars are 'car_<slot>'; +1 per car passed, -1 per car passing you.",
        ),
        Game(
            "Qbert", ("NOOP", "FIRE", "UP", "RIGHT", "LEFT", "DOWN"), "qbert", _objects.qbert, 100, Protocol(1, 4000),
            (
                Stage(500, "Few cubes changed: hop onto cubes whose colour differs from the target colour "
                      "and stay on the pyramid."),
                Stage(4000, "Cubes changed but lives lost; avoid 'coily' and never hop off the pyramid."),
                Stage(INF, "Strong play: levels are being completed."),
            ),
            "Q*bert ('player') hops between 21 cubes 'cube_<row>_<col>' (row 0 on top, col 0..row; "
            "'value' is the cube colour). UP = up-right, RIGHT = down-right, LEFT = up-left, DOWN = "
            "down-left. +25 per cube colour change; hopping off the pyramid or touching 'coily' costs a life.",
            values=_objects.qbert_values,
        ),
        Game(
            "Seaquest", FULL_ACTIONS, "seaquest", _objects.seaquest, 100, Protocol(1, 4000),
            (
                Stage(200, "Few enemies shot: face sharks and subs in your lane and FIRE."),
                Stage(1000, "Enemies shot but lives lost; surface before 'oxygen' (its w, 0..64) runs out "
                      "and collect 'diver_*'."),
                Stage(INF, "Strong play: many enemies shot and oxygen managed."),
            ),
            "You steer the submarine ('player') in 8 directions and FIRE torpedoes sideways. Lanes hold "
            "'shark_<lane><l|m|r>' and 'sub_*' enemies (+20 each), 'enemy_missile_*' and 'diver_*'. "
            "The 'oxygen' bar's w drops underwater; surface (y ~ 46) to refill.",
        ),
    )
}


def get_game(name: str) -> Game:
    """The game ``name``.

    Raises:
        UnknownNameError: Unknown game; the message lists the eight.
    """
    try:
        return GAMES[name]
    except KeyError:
        raise UnknownNameError(f"unknown Atari game {name!r}; choose one of {sorted(GAMES)}") from None
