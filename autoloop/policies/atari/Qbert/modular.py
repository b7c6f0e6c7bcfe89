"""Q*bert: change the colour of every cube of the pyramid without falling off or meeting Coily.

Interface: act(objects) -> action, called once per step (frame skip 4). objects maps names
to dicts with x, y (top-left pixel, y grows downward), w, h and dx, dy (motion since the
previous step). 'player' is Q*bert (8x20; his feet are at y + 20; absent during some
animations); the pyramid has 21 cubes 'cube_<row>_<col>' (row 0 = top .. 5 = bottom,
col 0..row) whose top face is at (x, y) and whose 'value' is the colour code of that face;
'coily' is the purple snake that chases you. A hop takes several steps. Actions: "UP"
(up-right: row-1, same col), "LEFT" (up-left: row-1, col-1), "RIGHT" (down-right: row+1,
col+1), "DOWN" (down-left: row+1, same col), "NOOP", "FIRE". Hopping off the pyramid or
touching Coily costs a life. Reward: +25 per cube whose colour changes; bonus per level.
"""

MOVES = {"UP": (-1, 0), "LEFT": (-1, -1), "RIGHT": (1, 1), "DOWN": (1, 0)}


def locate(objects):
    """The (row, col) of the cube under Q*bert's feet, or None."""
    player = objects.get("player")
    if player is None:
        return None
    best, best_d = None, 1e9
    for name, cube in objects.items():
        if name.startswith("cube"):
            d = abs(cube["x"] + 10 - player["x"] - 4) + abs(cube["y"] - player["y"] - 20)
            if d < best_d:
                _, row, col = name.split("_")
                best, best_d = (int(row), int(col)), d
    return best


def score_move(objects, here, move):
    """How good a hop is: off the pyramid is terrible, unchanged cubes are good, Coily is bad."""
    row, col = here[0] + MOVES[move][0], here[1] + MOVES[move][1]
    if not 0 <= col <= row <= 5:
        return -100.0
    cube = objects[f"cube_{row}_{col}"]
    current = objects[f"cube_{here[0]}_{here[1]}"]
    value = 1.0 if cube["value"] != current["value"] else 0.0
    coily = objects.get("coily")
    if coily is not None:
        dist = abs(coily["x"] - cube["x"] - 6) + abs(coily["y"] + 21 - cube["y"])
        if dist < 10:
            value -= 5.0
    return value + 0.1 * row


def choose_move(objects):
    """The best-scoring of the four hops, or NOOP when Q*bert is not on a cube."""
    here = locate(objects)
    if here is None:
        return "NOOP"
    return max(MOVES, key=lambda move: score_move(objects, here, move))


def act(objects):
    """Locate Q*bert and hop to the best neighbouring cube."""
    return choose_move(objects)
