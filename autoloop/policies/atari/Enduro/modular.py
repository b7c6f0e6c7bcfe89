"""Enduro: drive fast and pass as many cars as possible without hitting them.

Interface: act(objects) -> action, called once per step (frame skip 4). objects maps names
to dicts with x, y (top-left pixel, y grows downward), w, h and dx, dy (motion since the
previous step). 'player' is your 16x11 car at y=144 (x between ~55 and ~100); other cars
are 'car_<slot>' (16x10), from the horizon (small y) down to your level (y ~ 150); a car
with y close to 144 and overlapping x is about to be hit. Road curves push your car sideways.
Actions: "NOOP", "FIRE" (accelerate), "DOWN" (brake), "LEFT", "RIGHT", "LEFTFIRE",
"RIGHTFIRE", "DOWNLEFT", "DOWNRIGHT". Reward: +1 per car you pass, -1 per car passing you.
"""


def nearest_car_ahead(objects):
    """The closest car in front of the player (largest y below the player's y), or None."""
    best = None
    for name, car in objects.items():
        if name.startswith("car") and 90 < car["y"] < 150:
            if best is None or car["y"] > best["y"]:
                best = car
    return best


def choose_steering(objects, car):
    """-1 (left), 0 or +1 (right): swerve away from a car that overlaps our lane."""
    player = objects.get("player")
    if player is None or car is None:
        return 0
    gap = (car["x"] + 8) - (player["x"] + 8)
    if abs(gap) > 20:
        return 0
    if player["x"] < 60:
        return 1
    if player["x"] > 95:
        return -1
    return -1 if gap > 0 else 1


def select_action(objects, steer):
    """Accelerate while steering."""
    if steer > 0:
        return "RIGHTFIRE"
    if steer < 0:
        return "LEFTFIRE"
    return "FIRE"


def act(objects):
    """Find the car ahead, choose a side, accelerate."""
    return select_action(objects, choose_steering(objects, nearest_car_ahead(objects)))
