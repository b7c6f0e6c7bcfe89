"""Object extraction from console RAM: per game, name -> (x, y, w, h) in screen pixels.

Addresses follow the public RAM maps documented in OCAtari (``ocatari/ram/<game>.py``),
re-derived and checked by stepping the emulator; nothing here imports OCAtari. Each
extractor reads the current and the previous RAM (some sprites are only visible while
their RAM changes) and returns boxes; ``with_motion`` adds ``dx``/``dy`` against the
previous step's boxes. Objects that are not on screen are absent from the dict.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

Box = tuple[int, int, int, int]
Boxes = dict[str, Box]
Extractor = Callable[[list[int], list[int]], Boxes]
# Extra per-object numbers some games need (a Q*bert cube's colour): name -> value.
ValueExtractor = Callable[[list[int]], dict[str, int]]


def pong(ram: list[int], prev: list[int]) -> Boxes:
    """Player paddle (right), enemy paddle (left), ball."""
    out = {"player": (140, ram[51] - 13, 4, 15)}
    if ram[50] > 18:
        out["enemy"] = (16, ram[50] - 15, 4, 15)
    if ram[54]:
        out["ball"] = (ram[49] - 49, ram[54] - 14, 2, 4)
    return out


def breakout(ram: list[int], prev: list[int]) -> Boxes:
    """Paddle ("player") and ball."""
    out = {"player": (ram[72] - 47, 189, 16, 4)}
    if ram[101] and ram[101] + 9 <= 196:
        out["ball"] = (ram[99] - 49, ram[101] + 9, 2, 4)
    return out


ALIEN_NAMES = tuple(tuple(f"alien_{row}_{col}" for col in range(6)) for row in range(6))


def space_invaders(ram: list[int], prev: list[int]) -> Boxes:
    """Player cannon, alive aliens ``alien_<row>_<col>`` (row 0 = top), bullets."""
    out = {"player": (ram[28] - 1, 185, 7, 10)}
    left, top = ram[26] - 1, 31 + 2 * ram[16]
    for row, names in enumerate(ALIEN_NAMES):
        bits = ram[23 - row]
        if bits:
            y = top + 18 * row
            for col, name in enumerate(names):
                if bits >> col & 1:
                    out[name] = (left + 16 * col, y, 8, 10)
    # A bullet's RAM keeps its last value after it is gone: it is on screen while it moves.
    for name, y_at, x_at in (("enemy_bullet_0", 81, 83), ("enemy_bullet_1", 82, 84), ("player_bullet", 85, 87)):
        y = 2 * ram[y_at] + 3
        if ram[y_at] != prev[y_at] and 20 < y < 195:
            out[name] = (ram[x_at] - 2, y, 1, 10)
    return out


def freeway(ram: list[int], prev: list[int]) -> Boxes:
    """The chicken ("player") and ten cars ``car_0`` (top lane) .. ``car_9``."""
    out = {"player": (44, 193 - ram[14], 6, 8)}
    for lane in range(10):
        out[f"car_{lane}"] = (ram[117 - lane] - 3, 27 + 16 * lane, 8, 10)
    return out


def asterix(ram: list[int], prev: list[int]) -> Boxes:
    """Player and, per lane 0 (top) .. 7, an ``enemy_<lane>`` (lyre, deadly) or ``item_<lane>`` (points)."""
    out = {"player": (ram[41], 26 + 16 * ram[39], 8, 11)}
    for lane in range(8):
        if ram[18 - lane] == 11 or ram[73 + lane]:
            continue  # empty lane, or an item already turned into its score label
        kind = "enemy" if ram[29 + lane] % 2 else "item"
        out[f"{kind}_{lane}"] = (ram[42 + lane], 26 + 16 * lane, 7, 11)
    return out


def enduro(ram: list[int], prev: list[int]) -> Boxes:
    """Player car and the other cars ``car_<slot>`` (slot 0 nearest the horizon)."""
    drift = ram[46] - 256 if ram[46] & 128 else ram[46]
    out = {"player": (77 - drift // 2, 144, 16, 11)}
    for slot in range(7):
        code = ram[27 + slot]
        if not code:
            continue
        y = 150 - int(1.2 * (18 - slot) * slot + (ram[59] >> 3) * 0.9**slot)
        if not code & 16:
            x = 87
        elif code & 1:
            x = (2192 + 7 * y) // 30 + drift
        else:
            x = (6498 - 23 * y) // 60 + drift
        out[f"car_{slot}"] = (x, y, 16, 10)
    return out


QBERT_CUBES: tuple[tuple[int, int, int], ...] = tuple(
    (ram_at, x, y)
    for ram_at, (x, y) in zip(
        (21, 52, 54, 83, 85, 87, 98, 100, 102, 104, 1, 3, 5, 7, 9, 32, 34, 36, 38, 40, 42),
        ((68, 34), (56, 62), (84, 62), (44, 91), (68, 91), (96, 91), (32, 120), (56, 120), (84, 120), (108, 120),
         (20, 149), (44, 149), (68, 149), (96, 149), (120, 149), (8, 178), (32, 178), (56, 178), (84, 178), (108, 178),
         (132, 178)),
        strict=True,
    )
)


def _qbert_column_x(value: int) -> int:
    return 13 * min(value + 1, 2) + 12 * max(0, value - 1) + (4 if value >= 6 else 0)


QBERT_CUBE_NAMES = tuple(f"cube_{row}_{col}" for row in range(6) for col in range(row + 1))


def qbert(ram: list[int], prev: list[int]) -> Boxes:
    """Q*bert ("player"), Coily, and the 21 cubes ``cube_<row>_<col>`` (see ``qbert_values``)."""
    out: Boxes = {}
    if ram[43] and 20 < ram[67] < 190:  # above 190 he has fallen off the pyramid
        out["player"] = (ram[43] - 3, ram[67] - 7, 8, 20)
    if ram[39] != 255:
        out["coily"] = (_qbert_column_x(ram[71]), 30 * ram[39] + 6, 8, 21)
    for name, (_, x, y) in zip(QBERT_CUBE_NAMES, QBERT_CUBES, strict=True):
        out[name] = (x, y, 20, 5)
    return out


def qbert_values(ram: list[int]) -> dict[str, int]:
    """Each cube's top-face colour code, shown to the policy as the cube's ``value``."""
    return {name: ram[ram_at] for name, (ram_at, _, _) in zip(QBERT_CUBE_NAMES, QBERT_CUBES, strict=True)}


def seaquest(ram: list[int], prev: list[int]) -> Boxes:
    """Submarine ("player"), sharks and enemy subs per lane (0 = bottom), divers, missiles, oxygen."""
    out = {"player": (ram[70], ram[97] + 32, 16, 11), "oxygen": (49, 170, ram[102], 5)}
    for lane in range(4):
        variation, base = ram[36 + lane], ram[30 + lane]
        kind = "sub" if 3 < ram[89 + lane] % 8 < 7 else "shark"
        y = 141 - 24 * lane
        for slot, offset, present in (("l", 0, variation & 4), ("m", 16, variation & 2), ("r", 32, variation & 1)):
            x = (base + offset) % 256
            if present and x < 160:
                out[f"{kind}_{lane}{slot}"] = (x, y, 8, 11)
        x = ram[71 + lane]
        if 0 < x < 160:
            if kind == "sub":
                out[f"enemy_missile_{lane}"] = (x + 3, y + 4, 6, 4)
            else:
                out[f"diver_{lane}"] = (x, y, 8, 11)
    if 0 < ram[103] < 160:
        out["player_missile"] = (ram[103], ram[97] + 40, 8, 1)
    return out


def with_motion(boxes: Boxes, previous: Boxes) -> dict[str, dict[str, int]]:
    """Turn boxes into the policy's object dicts, with motion since the previous step.

    This runs every step for every object, so it is written for speed.
    """
    out = {}
    get = previous.get
    for name, (x, y, w, h) in boxes.items():
        last = get(name)
        if last is None:
            out[name] = {"x": x, "y": y, "w": w, "h": h, "dx": 0, "dy": 0}
        else:
            out[name] = {"x": x, "y": y, "w": w, "h": h, "dx": x - last[0], "dy": y - last[1]}
    return out


class Observer:
    """The objects ``act`` sees at each step, from the console RAM of successive steps.

    Both sides of a rollout keep one in step with the emulator (``start`` at the first step
    of a segment, ``advance`` after each step): the confined child asks for the objects at
    every step, the trusted rollout only for the steps it records. Extraction happens on
    demand and at most once per step.

    Args:
        extract: The game's extractor (RAM, previous RAM -> boxes).
        values: The game's extra per-object numbers, or ``None``.
    """

    def __init__(self, extract: Extractor, values: ValueExtractor | None) -> None:
        self._extract, self._values = extract, values
        self._rams: deque[bytes] = deque(maxlen=3)
        self._boxes: dict[int, Boxes] = {}
        self._step = 0

    def start(self, ram: bytes) -> None:
        """The first step of a segment: no motion yet (the previous RAM is the current one)."""
        self._rams.clear()
        self._rams.extend((ram, ram))
        self._boxes.clear()
        self._step = 0

    def advance(self, ram: bytes) -> None:
        """The emulator stepped; ``ram`` is the new console RAM."""
        self._rams.append(ram)
        self._step += 1
        self._boxes.pop(self._step - 2, None)

    def objects(self) -> dict[str, dict[str, int]]:
        """Name -> ``{x, y, w, h, dx, dy}`` (and ``value`` where the game has one) at this step."""
        previous = self._boxes_at(1) if len(self._rams) == 3 else {}
        objects = with_motion(self._boxes_at(0), previous)
        if self._values is not None:
            for name, value in self._values(list(self._rams[-1])).items():
                objects[name]["value"] = value
        return objects

    def _boxes_at(self, back: int) -> Boxes:
        step = self._step - back
        boxes = self._boxes.get(step)
        if boxes is None:
            ram, prev = self._rams[-1 - back], self._rams[-2 - back]
            boxes = self._boxes[step] = self._extract(list(ram), list(prev))
        return boxes
