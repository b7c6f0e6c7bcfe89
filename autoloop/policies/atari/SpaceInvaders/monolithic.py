"""Space Invaders: shoot the invaders, dodge their bullets.

Interface: act(objects) -> action, called once per step (frame skip 4). objects maps names
to dicts with x, y (top-left pixel, y grows downward), w, h and dx, dy (motion since the
previous step). 'player' is your 7x10 cannon at y=185 (x from ~34 to ~117); aliens are
'alien_<row>_<col>' (8x10, row 0 on top, the block marches sideways and down);
'enemy_bullet_0' / 'enemy_bullet_1' fall toward you; 'player_bullet' is your shot in flight
(only one at a time). Actions: "NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE".
Reward: 5-30 points per alien (higher rows pay more); 3 lives.
"""


def act(objects):
    """Dodge close bullets, move under the nearest alien column, fire when lined up."""
    player = objects.get("player")
    if player is None:
        return "NOOP"
    centre = player["x"] + 3
    for name, obj in objects.items():
        if name.startswith("enemy_bullet") and obj["y"] > 120 and abs(obj["x"] - centre) < 6:
            return "RIGHT" if obj["x"] <= centre else "LEFT"
    aliens = [o for n, o in objects.items() if n.startswith("alien")]
    if not aliens:
        return "NOOP"
    target = min(aliens, key=lambda o: abs(o["x"] + 4 - centre))
    gap = target["x"] + 4 - centre
    shoot = "player_bullet" not in objects and abs(gap) < 3
    dead_band = 8
    if gap > dead_band:
        return "RIGHTFIRE" if shoot else "RIGHT"
    if gap < -dead_band:
        return "LEFTFIRE" if shoot else "LEFT"
    return "FIRE" if shoot else "NOOP"
