"""``python -m benchmarks.tabular``: replay every strategy against the recorded table."""

from benchmarks.tabular.replay import main

raise SystemExit(main())
