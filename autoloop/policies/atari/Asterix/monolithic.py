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


def act(objects):
    """Dodge a lyre in the current lane, else chase the item in the nearest lane."""
    player = objects.get("player")
    if player is None:
        return "NOOP"
    x = player["x"]
    here = max(0, min(7, round((player["y"] - 26) / 16)))
    enemy = objects.get(f"enemy_{here}")
    if enemy is not None and abs(enemy["x"] - x) < 16:
        return "UP" if here > 0 else "DOWN"
    best, best_cost = here, 999.0
    for name, obj in objects.items():
        if name.startswith("item"):
            lane = max(0, min(7, round((obj["y"] - 26) / 16)))
            cost = abs(lane - here) * 10 + abs(obj["x"] - x) * 0.5
            if cost < best_cost:
                best, best_cost = lane, cost
    if best < here:
        return "UP"
    if best > here:
        return "DOWN"
    item = objects.get(f"item_{here}")
    if item is not None:
        return "RIGHT" if item["x"] > x else "LEFT"
    return "NOOP"
