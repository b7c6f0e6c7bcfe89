"""Asterix: collect items, avoid the lyres.

Interface: act(objects) -> action, called once per step (frame skip 4). objects maps names
to dicts with x, y (top-left pixel, y grows downward), w, h and dx, dy (motion since the
previous step). 'player' is Asterix; the screen has eight horizontal lanes, lane k at
y = 26 + 16*k (k = 0 top .. 7 bottom), and Asterix is always in one of them. Each lane holds
at most one moving object: 'item_<k>' (cauldron, helmet, ...: points when touched) or
'enemy_<k>' (a lyre: touching it costs a life). Objects enter at one side and cross the
screen. Actions: "NOOP", "UP", "DOWN", "LEFT", "RIGHT", "UPRIGHT", "UPLEFT", "DOWNRIGHT",
"DOWNLEFT". Reward: 50+ points per item; 3 lives.
"""


def lane_of(obj):
    """The lane index (0..7) of an object."""
    return max(0, min(7, round((obj["y"] - 26) / 16)))


def lane_threat(objects, lane, x):
    """How close (in pixels, large = safe) the nearest enemy in a lane is to x."""
    enemy = objects.get(f"enemy_{lane}")
    if enemy is None:
        return 999
    return abs(enemy["x"] + enemy["dx"] * 2 - x)


def choose_lane(objects):
    """The lane to head for: the nearest lane with an item whose enemy-free margin is large."""
    player = objects["player"]
    here = lane_of(player)
    best, best_cost = here, 999.0
    for name, obj in objects.items():
        if not name.startswith("item"):
            continue
        lane = lane_of(obj)
        if lane_threat(objects, lane, player["x"]) < 20:
            continue
        cost = abs(lane - here) * 10 + abs(obj["x"] - player["x"]) * 0.5
        if cost < best_cost:
            best, best_cost = lane, cost
    return best


def select_action(objects, lane):
    """Step toward the target lane if the next lane is safe; flee lyres in the current lane."""
    player = objects["player"]
    here = lane_of(player)
    x = player["x"]
    if lane_threat(objects, here, x) < 16:
        if here > 0 and lane_threat(objects, here - 1, x) >= 16:
            return "UP"
        return "DOWN"
    if lane < here and lane_threat(objects, here - 1, x) >= 16:
        return "UP"
    if lane > here and lane_threat(objects, here + 1, x) >= 16:
        return "DOWN"
    item = objects.get(f"item_{here}")
    if item is not None:
        return "RIGHT" if item["x"] > x else "LEFT"
    return "NOOP"


def act(objects):
    """Pick a lane, then move there safely."""
    if "player" not in objects:
        return "NOOP"
    return select_action(objects, choose_lane(objects))
