"""Pong: return every ball with the right paddle.

Interface: act(objects) -> action, called once per step (frame skip 4). objects maps names
to dicts with x, y (top-left pixel, y grows downward), w, h and dx, dy (motion since the
previous step). 'player' is your paddle (x=140, 4x15 px, moves between y=34 and y=194),
'enemy' the opponent's paddle (x=16), 'ball' the 2x4 ball (absent between points). The ball
bounces off the top (y~34) and bottom (y~194) walls. Actions: "UP", "DOWN", "NOOP" (also
"FIRE", "RIGHTFIRE", "LEFTFIRE"). The paddle keeps some momentum, so start moving early.
Reward: +1 when the opponent misses, -1 when you miss.
"""


def act(objects):
    """Follow the ball's current height with the paddle centre."""
    player = objects.get("player")
    ball = objects.get("ball")
    if player is None or ball is None:
        return "NOOP"
    target = ball["y"] + ball["dy"] * 0.5
    centre = player["y"] + 7
    dead_band = 12
    if target < centre - dead_band:
        return "UP"
    if target > centre + dead_band:
        return "DOWN"
    return "NOOP"
