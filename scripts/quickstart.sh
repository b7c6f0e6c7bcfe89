#!/usr/bin/env bash
# The main job: venv + install, then the embedded service with two workers runs a small tuning
# study (the example CartPole plug-in, offline local optimizer) submitted through the Python client,
# prints the recommendation and writes the study's HTML report.
. "$(dirname "$0")/_venv.sh"
python examples/quickstart.py "$@"
