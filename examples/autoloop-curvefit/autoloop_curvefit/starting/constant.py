"""Predict y for a number x. The target is an unknown smooth curve on [-4, 4]."""

def predict(x):
    return 0.0
