#!/usr/bin/env bash
# The main job: venv + install, then one embedded-default tuning run that prints a recommendation.
. "$(dirname "$0")/_venv.sh"
DATA="${AUTOLOOP_DATA:-$AUTOLOOP_SHARED_DATA/mlagentbench}"
autoloop run mlpipeline:spaceship-titanic --artifact many_functions --optimizer local \
  --iterations 8 --batch-size 3 --data "$DATA" "$@"
