"""Breakout: keep the ball in play and break bricks.

Interface: act(objects) -> action, called once per step (frame skip 4). objects maps names
to dicts with x, y (top-left pixel, y grows downward), w, h and dx, dy (motion since the
previous step). 'player' is the 16x4 paddle at y=189 (x from 8 to 144), 'ball' the 2x4 ball
(absent while no ball is in play). The side walls are at x~8 and x~152; the ball bounces off
them and off the bricks (y 57..93). Actions: "NOOP", "FIRE" (launch a new ball), "RIGHT",
"LEFT". Reward: 1-7 points per brick; losing the ball costs one of 5 lives.
"""


def predict_ball_trajectory(objects):
    """The x at which the falling ball reaches the paddle row, or None."""
    ball = objects.get("ball")
    if ball is None or ball["dy"] <= 0:
        return None
    steps = (189 - ball["y"]) / ball["dy"]
    x = ball["x"] + ball["dx"] * steps * 0.4
    left, right = 8.0, 150.0
    span = right - left
    offset = (x - left) % (2 * span)
    return left + (offset if offset <= span else 2 * span - offset)


def generate_paddle_target(objects, landing_x):
    """Where the paddle centre should be: the landing point, else follow the ball, else centre."""
    if landing_x is not None:
        return landing_x
    ball = objects.get("ball")
    if ball is not None:
        return ball["x"]
    return 80.0


def select_paddle_action(objects, target_x):
    """Move the paddle centre toward target_x; FIRE when no ball is in play."""
    player = objects.get("player")
    if "ball" not in objects:
        return "FIRE"
    if player is None:
        return "NOOP"
    centre = player["x"] + 8
    dead_band = 10
    if target_x < centre - dead_band:
        return "LEFT"
    if target_x > centre + dead_band:
        return "RIGHT"
    return "NOOP"


def act(objects):
    """Predict the landing point, pick a paddle target, move there."""
    landing = predict_ball_trajectory(objects)
    return select_paddle_action(objects, generate_paddle_target(objects, landing))
