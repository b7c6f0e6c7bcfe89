"""Space Invaders: shoot the invaders, dodge their bullets.

Interface: act(objects) -> action, called once per step (frame skip 4). objects maps names
to dicts with x, y (top-left pixel, y grows downward), w, h and dx, dy (motion since the
previous step). 'player' is your 7x10 cannon at y=185 (x from ~34 to ~117); aliens are
'alien_<row>_<col>' (8x10, row 0 on top, the block marches sideways and down);
'enemy_bullet_0' / 'enemy_bullet_1' fall toward you; 'player_bullet' is your shot in flight
(only one at a time). Actions: "NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE".
Reward: 5-30 points per alien (higher rows pay more); 3 lives.
"""


def decide_shoot(objects):
    """Fire when an alien is roughly above the cannon and no shot of ours is in flight."""
    player = objects.get("player")
    if player is None or "player_bullet" in objects:
        return False
    centre = player["x"] + 3
    for name, obj in objects.items():
        if name.startswith("alien") and abs(obj["x"] + 4 - centre) < 3:
            return True
    return False


def decide_movement(objects):
    """-1 (left), 0 or +1 (right): dodge a close bullet, else move under the nearest low alien."""
    player = objects.get("player")
    if player is None:
        return 0
    centre = player["x"] + 3
    for name, obj in objects.items():
        if name.startswith("enemy_bullet") and obj["y"] > 120 and abs(obj["x"] - centre) < 6:
            return 1 if obj["x"] <= centre else -1
    aliens = [o for n, o in objects.items() if n.startswith("alien")]
    if not aliens:
        return 0
    target = min(aliens, key=lambda o: abs(o["x"] + 4 - centre) - 0.2 * o["y"])
    gap = target["x"] + 4 - centre
    dead_band = 8
    if gap > dead_band:
        return 1
    if gap < -dead_band:
        return -1
    return 0


def combine_actions(shoot, move):
    """Merge the shooting and movement decisions into one action."""
    if move > 0:
        return "RIGHTFIRE" if shoot else "RIGHT"
    if move < 0:
        return "LEFTFIRE" if shoot else "LEFT"
    return "FIRE" if shoot else "NOOP"


def act(objects):
    """Decide to shoot and where to move, then combine."""
    return combine_actions(decide_shoot(objects), decide_movement(objects))
