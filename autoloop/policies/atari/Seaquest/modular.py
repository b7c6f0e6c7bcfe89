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


def needs_air(objects):
    """True when the oxygen is low enough that the sub should head to the surface."""
    oxygen = objects.get("oxygen")
    return oxygen is not None and oxygen["w"] < 16


def choose_target(objects):
    """The enemy to attack: the one closest to the sub, weighting vertical distance."""
    player = objects["player"]
    best, best_cost = None, 1e9
    for name, obj in objects.items():
        if name.startswith(("shark", "sub_")):
            cost = abs(obj["y"] - player["y"]) * 2.0 + abs(obj["x"] - player["x"]) * 0.5
            if cost < best_cost:
                best, best_cost = obj, cost
    return best


def select_action(objects, target, surface):
    """Vertical move toward the target lane (or the surface), facing the target and firing."""
    player = objects["player"]
    if surface:
        return "UP"
    if target is None:
        return "DOWNFIRE" if player["y"] < 100 else "FIRE"
    vertical = ""
    if target["y"] < player["y"] - 6:
        vertical = "UP"
    elif target["y"] > player["y"] + 6:
        vertical = "DOWN"
    horizontal = "RIGHT" if target["x"] > player["x"] else "LEFT"
    if abs(target["x"] - player["x"]) < 24 and not vertical:
        vertical = "UP" if player["y"] > 60 else "DOWN"
    return vertical + horizontal + "FIRE"


def act(objects):
    """Surface for air when needed, else hunt the nearest enemy."""
    if "player" not in objects:
        return "NOOP"
    return select_action(objects, choose_target(objects), needs_air(objects))
