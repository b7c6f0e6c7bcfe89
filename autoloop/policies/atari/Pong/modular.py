"""Pong: return every ball with the right paddle.

Interface: act(objects) -> action, called once per step (frame skip 4). objects maps names
to dicts with x, y (top-left pixel, y grows downward), w, h and dx, dy (motion since the
previous step). 'player' is your paddle (x=140, 4x15 px, moves between y=34 and y=194),
'enemy' the opponent's paddle (x=16), 'ball' the 2x4 ball (absent between points). The ball
bounces off the top (y~34) and bottom (y~194) walls. Actions: "UP", "DOWN", "NOOP" (also
"FIRE", "RIGHTFIRE", "LEFTFIRE"). The paddle keeps some momentum, so start moving early.
Reward: +1 when the opponent misses, -1 when you miss.
"""


def predict_ball_trajectory(objects):
    """The y at which the ball will reach the paddle's column, or None without a ball."""
    ball = objects.get("ball")
    if ball is None:
        return None
    if ball["dx"] <= 0:
        return 110.0  # ball moving away: wait near the middle
    steps = (140 - ball["x"]) / ball["dx"]
    y = ball["y"] + ball["dy"] * steps * 0.3
    top, bottom = 34.0, 190.0
    span = bottom - top
    offset = (y - top) % (2 * span)
    return top + (offset if offset <= span else 2 * span - offset)


def select_action(objects, target_y):
    """Move the paddle centre toward target_y, with a dead band against jitter."""
    player = objects.get("player")
    if player is None or target_y is None:
        return "NOOP"
    centre = player["y"] + 7
    dead_band = 12
    if target_y < centre - dead_band:
        return "UP"
    if target_y > centre + dead_band:
        return "DOWN"
    return "NOOP"


def act(objects):
    """Predict where the ball arrives, then move there."""
    return select_action(objects, predict_ball_trajectory(objects))
