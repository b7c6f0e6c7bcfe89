"""Seaquest: shoot sharks and enemy subs, rescue divers, surface before the oxygen runs out.

Interface: act(objects) -> action, called once per step (frame skip 4). objects maps names
to dicts with x, y (top-left pixel, y grows downward), w, h and dx, dy (motion since the
previous step). 'player' is your 16x11 submarine (x ~21..134, y from 45 at the surface
to ~140); enemies swim in four lanes at y = 141, 117, 93, 69 ('shark_<lane><l|m|r>',
'sub_<lane><l|m|r>', lane 0 = bottom); 'enemy_missile_<lane>' is shot by a lane's subs;
'diver_<lane>' can be collected by touching it; 'player_missile' is your torpedo; 'oxygen'
has w = oxygen left (0..64). Torpedoes fly in the direction the sub faces (its last
horizontal move). Actions: all 18 ("UP", "DOWNLEFT", "RIGHTFIRE", "UPLEFTFIRE", ...).
Reward: 20 per enemy, more on later waves; touching an enemy or running out of oxygen
costs a life.
"""


def act(objects):
    """Surface when oxygen is low; otherwise line up with the nearest enemy and fire at it."""
    player = objects.get("player")
    if player is None:
        return "NOOP"
    oxygen = objects.get("oxygen")
    if oxygen is not None and oxygen["w"] < 16:
        return "UP"
    target, best = None, 1e9
    for name, obj in objects.items():
        if name.startswith(("shark", "sub_")):
            cost = abs(obj["y"] - player["y"]) * 2.0 + abs(obj["x"] - player["x"]) * 0.5
            if cost < best:
                target, best = obj, cost
    if target is None:
        return "DOWNFIRE" if player["y"] < 100 else "FIRE"
    vertical = ""
    if target["y"] < player["y"] - 6:
        vertical = "UP"
    elif target["y"] > player["y"] + 6:
        vertical = "DOWN"
    return vertical + ("RIGHT" if target["x"] > player["x"] else "LEFT") + "FIRE"
