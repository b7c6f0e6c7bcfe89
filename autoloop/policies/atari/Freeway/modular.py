"""Freeway: get the chicken across ten lanes of traffic as often as possible.

Interface: act(objects) -> action, called once per step (frame skip 4). objects maps names
to dicts with x, y (top-left pixel, y grows downward), w, h and dx, dy (motion since the
previous step). 'player' is the 6x8 chicken at x=44 (y from ~183 at the bottom to ~20 at
the top); cars are 'car_0' (top lane, y=27) .. 'car_9' (bottom lane, y=171), 8x10, lanes 16 px
apart; each car keeps its lane and moves horizontally (dx; upper lanes move left, lower
lanes right) and wraps around. Actions: "NOOP", "UP", "DOWN". Reward: +1 per crossing;
a hit pushes the chicken back down a lane. No lives; the game lasts ~2 minutes.
"""


def lane_ahead(objects):
    """The car in the lane just above the chicken, or None at the top."""
    player = objects.get("player")
    if player is None:
        return None
    best = None
    for name, car in objects.items():
        if name.startswith("car") and car["y"] + car["h"] <= player["y"] + 4:
            if best is None or car["y"] > best["y"]:
                best = car
    return best


def is_dangerous(car):
    """True if the car will be over the chicken's column within the lookahead."""
    if car is None:
        return False
    future = car["x"] + car["dx"] * 6
    return abs(future - 44) < 20 or abs(car["x"] - 44) < 12


def select_action(objects, danger):
    """Wait when the next lane is dangerous, otherwise go up."""
    if danger:
        return "NOOP"
    return "UP"


def act(objects):
    """Look at the next lane, judge the danger, step or wait."""
    return select_action(objects, is_dangerous(lane_ahead(objects)))
