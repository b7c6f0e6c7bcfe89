"""Freeway: get the chicken across ten lanes of traffic as often as possible.

Interface: act(objects) -> action, called once per step (frame skip 4). objects maps names
to dicts with x, y (top-left pixel, y grows downward), w, h and dx, dy (motion since the
previous step). 'player' is the 6x8 chicken at x=44 (y from ~183 at the bottom to ~20 at
the top); cars are 'car_0' (top lane, y=27) .. 'car_9' (bottom lane, y=171), 8x10, lanes 16 px
apart; each car keeps its lane and moves horizontally (dx; upper lanes move left, lower
lanes right) and wraps around. Actions: "NOOP", "UP", "DOWN". Reward: +1 per crossing;
a hit pushes the chicken back down a lane. No lives; the game lasts ~2 minutes.
"""


def act(objects):
    """Go up unless the car in the next lane is about to cross the chicken's column."""
    player = objects.get("player")
    if player is None:
        return "UP"
    ahead = None
    for name, car in objects.items():
        if name.startswith("car") and car["y"] + car["h"] <= player["y"] + 4:
            if ahead is None or car["y"] > ahead["y"]:
                ahead = car
    if ahead is not None:
        future = ahead["x"] + ahead["dx"] * 6
        if abs(future - 44) < 20 or abs(ahead["x"] - 44) < 12:
            return "NOOP"
    return "UP"
