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


def act(objects):
    """Hop to a neighbouring cube on the pyramid, preferring cubes of another colour."""
    player = objects.get("player")
    if player is None:
        return "NOOP"
    here, best_d = None, 1e9
    for name, cube in objects.items():
        if name.startswith("cube"):
            d = abs(cube["x"] + 10 - player["x"] - 4) + abs(cube["y"] - player["y"] - 20)
            if d < best_d:
                _, row, col = name.split("_")
                here, best_d = (int(row), int(col)), d
    best, best_value = "NOOP", -1e9
    for move, (dr, dc) in (("UP", (-1, 0)), ("LEFT", (-1, -1)), ("RIGHT", (1, 1)), ("DOWN", (1, 0))):
        row, col = here[0] + dr, here[1] + dc
        if not 0 <= col <= row <= 5:
            continue
        value = 1.0 if objects[f"cube_{row}_{col}"]["value"] != objects[f"cube_{here[0]}_{here[1]}"]["value"] else 0.0
        coily = objects.get("coily")
        if coily is not None and abs(coily["x"] - objects[f"cube_{row}_{col}"]["x"] - 6) < 10:
            value -= 5.0
        if value > best_value:
            best, best_value = move, value
    return best
