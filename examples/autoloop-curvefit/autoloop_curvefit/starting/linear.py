"""Predict y for a number x. The target is an unknown smooth curve on [-4, 4]."""

def predict(x):
    slope = 1.0
    intercept = 0.0
    return slope * x + intercept
