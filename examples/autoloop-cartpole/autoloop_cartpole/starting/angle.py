"""CartPole: keep the pole upright on a cart that moves left and right.

Interface: act(observation) -> 0 (push the cart left) or 1 (push it right), called once per
step. observation is (x, x_dot, theta, theta_dot): cart position and velocity, pole angle
(radians, positive = leaning right) and angular velocity. The episode ends when the pole tilts
more than 12 degrees, the cart leaves the track (|x| > 2.4), or after 200 steps.
Reward: +1 for every step the pole stays up.
"""


def act(observation):
    """Push toward the side the pole leans to, once it leans more than a threshold."""
    theta = observation[2]
    if theta > 0.0:
        return 1
    return 0
