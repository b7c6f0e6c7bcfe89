"""Enduro: drive fast and pass as many cars as possible without hitting them.

Interface: act(objects) -> action, called once per step (frame skip 4). objects maps names
to dicts with x, y (top-left pixel, y grows downward), w, h and dx, dy (motion since the
previous step). 'player' is your 16x11 car at y=144 (x between ~55 and ~100); other cars
are 'car_<slot>' (16x10), from the horizon (small y) down to your level (y ~ 150); a car
with y close to 144 and overlapping x is about to be hit. Road curves push your car sideways.
Actions: "NOOP", "FIRE" (accelerate), "DOWN" (brake), "LEFT", "RIGHT", "LEFTFIRE",
"RIGHTFIRE", "DOWNLEFT", "DOWNRIGHT". Reward: +1 per car you pass, -1 per car passing you.
"""


def act(objects):
    """Accelerate; swerve away from the nearest car ahead if it overlaps our lane."""
    player = objects.get("player")
    if player is None:
        return "FIRE"
    ahead = None
    for name, car in objects.items():
        if name.startswith("car") and 90 < car["y"] < 150:
            if ahead is None or car["y"] > ahead["y"]:
                ahead = car
    if ahead is None:
        return "FIRE"
    gap = ahead["x"] - player["x"]
    if abs(gap) > 20:
        return "FIRE"
    return "LEFTFIRE" if gap > 0 else "RIGHTFIRE"
