"""An example autoloop task plug-in: ``curvefit:quadratic`` and ``curvefit:wave``.

Registered through the ``autoloop.tasks`` entry-point group (see ``pyproject.toml``), so
``pip install autoloop-curvefit`` makes ``autoloop tasks``, ``run``, ``tune``, ``serve`` and
``worker`` know it. The guide is ``docs/tasks.md`` in the autoloop repository.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autoloop.errors import UnknownNameError
from autoloop.tasks import TaskFamily, TaskInfo, check_options
from autoloop_curvefit._task import CURVES, CurveFitTask

__all__ = ["CURVES", "FAMILY", "CurveFitTask"]


def _create(variant: str, data_dir: Path | None, options: dict[str, Any]) -> CurveFitTask:
    check_options(f"curvefit:{variant}", options, ())  # this family reads no options (and no data)
    if variant not in CURVES:
        raise UnknownNameError(f"unknown curvefit task {variant!r}; choose one of {sorted(CURVES)}")
    return CurveFitTask(variant)


def _describe(variant: str) -> TaskInfo:
    return TaskInfo.of(CurveFitTask)  # the same declarations for every variant, known without a sandbox


FAMILY = TaskFamily("curvefit", tuple(CURVES), _create, _describe)
