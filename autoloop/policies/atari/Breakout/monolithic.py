"""Breakout: keep the ball in play and break bricks.

Interface: act(objects) -> action, called once per step (frame skip 4). objects maps names
to dicts with x, y (top-left pixel, y grows downward), w, h and dx, dy (motion since the
previous step). 'player' is the 16x4 paddle at y=189 (x from 8 to 144), 'ball' the 2x4 ball
(absent while no ball is in play). The side walls are at x~8 and x~152; the ball bounces off
them and off the bricks (y 57..93). Actions: "NOOP", "FIRE" (launch a new ball), "RIGHT",
"LEFT". Reward: 1-7 points per brick; losing the ball costs one of 5 lives.
"""


def act(objects):
    """Launch the ball, then keep the paddle centre under the ball's x."""
    player = objects.get("player")
    ball = objects.get("ball")
    if ball is None:
        return "FIRE"
    if player is None:
        return "NOOP"
    target = ball["x"] + ball["dx"] * 0.5
    centre = player["x"] + 8
    dead_band = 10
    if target < centre - dead_band:
        return "LEFT"
    if target > centre + dead_band:
        return "RIGHT"
    return "NOOP"
