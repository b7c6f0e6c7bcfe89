"""Task registry: families register by name in code or through the ``autoloop.tasks`` entry points."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from autoloop.errors import ConfigError, UnknownNameError
from autoloop.tasks._base import Metric, Task

ENTRY_POINT_GROUP = "autoloop.tasks"
# Modules imported (comma-separated) before any task is looked up, by every command, the service and its workers.
PLUGINS_ENV = "AUTOLOOP_PLUGINS"
# A task name: a lowercase family, ``:``, a variant (the service rejects other names before any lookup).
TASK_NAME_PATTERN = r"^[a-z0-9_]+:[A-Za-z0-9_.-]+$"
# The variant an open family is described with in the task catalog (its declarations do not depend on the name).
OPEN_VARIANT_EXAMPLE = "name"
BUILTIN_MODULES = ("autoloop.tasks.mlpipeline", "autoloop.tasks.atari", "autoloop.tasks.prompt", "autoloop.tasks.bbeh")
# Where the data of the built-in tasks lives when no data directory is given.
DATA_ENV = "AUTOLOOP_DATA"

TaskFactory = Callable[[str, "Path | None", "dict[str, Any]"], Task]


def no_options(variant: str) -> dict[str, Any]:
    """The options of a task family that has none."""
    del variant
    return {}


def no_given_options(variant: str, given: dict[str, Any], data: Path | None) -> dict[str, Any]:
    """A family that takes no options from its caller: reject any given."""
    del data
    if given:
        raise ConfigError(f"task variant {variant!r} takes no task options, got {sorted(given)}; drop --task-option/--target/--metric")
    return {}


@dataclass(frozen=True)
class TaskInfo:
    """What a task declares, known without building it or loading its data: what
    ``autoloop tasks`` lists and what a study's search space and scores are made of.

    Args:
        artifacts: Names of the starting artifacts.
        horizons: Credit horizons that make sense (the first is the default).
        batch_sizes: Batch sizes that make sense (the first is the default).
        metric: How the task's scores read.
        reads_data: Whether the task reads a data directory (``None`` = not declared: a data
            directory given is passed through unchecked; ``False`` refuses one up front).
    """

    artifacts: tuple[str, ...]
    horizons: tuple[int, ...]
    batch_sizes: tuple[int, ...]
    metric: Metric
    reads_data: bool | None = None

    @classmethod
    def of(cls, task: Task | type[Task]) -> TaskInfo:
        """Read the declarations of a task, or of a Task subclass that declares them as class
        attributes. Pass the instance when it sets them per variant (Atari horizons do).
        ``reads_data`` is read from a ``reads_data`` attribute when the task has one."""
        return cls(task.artifacts, task.horizons, task.batch_sizes, task.metric, reads_data=getattr(task, "reads_data", None))


@dataclass(frozen=True)
class TaskFamily:
    """A named group of tasks built by one factory.

    Args:
        name: Family name, the part before ``:`` in a task name.
        variants: Declared variants, listed by ``autoloop tasks``.
        create: ``create(variant, data_dir, options) -> Task``; it builds from its arguments
            alone and rejects missing or unknown options by name (it never reads the environment).
        describe: ``describe(variant) -> TaskInfo``, without loading data.
        open_variants: Accept variants beyond ``variants`` (the factory validates them).
        options: ``options(variant) -> dict``: resolves the JSON-ready options ``create`` needs
            (from the environment, once, where a study or run is planned); secrets appear as
            ``api_key_ref`` references, never as values.
        given: ``given(variant, options, data) -> dict``: checks the options a caller gave
            (``--task-option KEY=VALUE``, ``--target``, the API's ``task_options``) against the
            data reference, at the edge, and returns them complete and JSON-ready (e.g. an
            inferred metric filled in); they are merged over ``options(variant)``. The default
            rejects any.
        describe_given: ``describe_given(variant, options) -> TaskInfo``, for a family whose
            declarations depend on its resolved options (the CSV family's metric); ``None`` =
            ``describe`` alone.
    """

    name: str
    variants: tuple[str, ...]
    create: TaskFactory
    describe: Callable[[str], TaskInfo]
    open_variants: bool = False
    options: Callable[[str], dict[str, Any]] = no_options
    given: Callable[[str, dict[str, Any], Path | None], dict[str, Any]] = no_given_options
    describe_given: Callable[[str, dict[str, Any]], TaskInfo] | None = None


_FAMILIES: dict[str, TaskFamily] = {}
_loaded = False


def register_task(family: TaskFamily) -> TaskFamily:
    """Register a task family; a later registration under the same name replaces it."""
    bad = [f"{family.name}:{v}" for v in ("x", *family.variants) if not re.fullmatch(TASK_NAME_PATTERN, f"{family.name}:{v}")]
    if bad:
        raise ConfigError(
            f"task names must match {TASK_NAME_PATTERN} (a lowercase family of letters, digits and '_', then ':' and "
            f"a variant of letters, digits, '_', '.' or '-'); family {family.name!r} declares {bad}"
        )
    _FAMILIES[family.name] = family
    return family


def plugin_module_names() -> tuple[str, ...]:
    """The modules ``$AUTOLOOP_PLUGINS`` names (comma-separated), in order."""
    return tuple(n.strip() for n in os.environ.get(PLUGINS_ENV, "").split(",") if n.strip())


def load_plugins() -> tuple[str, ...]:
    """Import the modules named in ``$AUTOLOOP_PLUGINS``; returns their names.

    The registry calls this before its first lookup, so every command, the service and its
    workers see the same tasks; call it yourself for modules that register optimizers only.

    Raises:
        ConfigError: A module cannot be imported.
    """
    names = plugin_module_names()
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigError(
                f"plug-in module {name!r} from {PLUGINS_ENV} cannot be imported ({exc}); install its package "
                f"in this environment or add its folder to PYTHONPATH, or remove it from {PLUGINS_ENV}"
            ) from exc
    return names


def _load_plugins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True  # set first: a plug-in module may look tasks up while it is imported
    try:
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        load_plugins()
        for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
            register_task(_entry_point_family(entry))
    except BaseException:
        _loaded = False  # the next lookup raises the same error instead of missing tasks
        raise


def _entry_point_family(entry: metadata.EntryPoint) -> TaskFamily:
    where = f"entry point {entry.name!r} ({entry.value}) in group {ENTRY_POINT_GROUP!r}"
    try:
        loaded = entry.load()
    except (ImportError, AttributeError) as exc:  # a broken or half-installed plug-in package
        raise ConfigError(f"{where} cannot be loaded ({type(exc).__name__}: {exc}); reinstall or uninstall its package") from exc
    if not isinstance(loaded, TaskFamily):
        raise ConfigError(f"{where} must name a TaskFamily, got {type(loaded).__name__}")
    return loaded


def task_families() -> dict[str, TaskFamily]:
    """All registered families, built-in and plug-in."""
    _load_plugins()
    return dict(_FAMILIES)


def task_catalog() -> dict[str, TaskInfo]:
    """What ``autoloop tasks`` and ``GET /v1/tasks`` list: each declared ``family:variant``, and an
    open family without declared variants (``csv``, ``prompt``) once, as ``family:<name>``."""
    catalog = {}
    for family in task_families().values():
        if family.variants:
            catalog.update((f"{family.name}:{v}", family.describe(v)) for v in family.variants)
        elif family.open_variants:
            catalog[f"{family.name}:<name>"] = family.describe(OPEN_VARIANT_EXAMPLE)
    return catalog


def task_names() -> list[str]:
    """Every declared ``family:variant`` name."""
    return [f"{f.name}:{v}" for f in task_families().values() for v in f.variants]


def _family(name: str) -> tuple[TaskFamily, str]:
    family_name, _, variant = name.partition(":")
    family = task_families().get(family_name)
    if family is None or not variant or (variant not in family.variants and not family.open_variants):
        raise UnknownNameError(f"unknown task {name!r}; known tasks: {', '.join(task_names())} (see `autoloop tasks`)")
    return family, variant


def describe_task(name: str, options: dict[str, Any] | None = None) -> TaskInfo:
    """What the task ``family:variant`` declares, without building it or loading its data.

    Pass the resolved ``options`` (``task_options``) where they decide a declaration, as the
    CSV family's metric; a study always does.

    Example:
        >>> describe_task("atari:Pong").horizons
        (1, 400)

    Raises:
        UnknownNameError: The family or variant is unknown; the message lists known names.
        ConfigError: An open family rejects the variant's name.
    """
    family, variant = _family(name)
    if options is not None and family.describe_given is not None:
        return family.describe_given(variant, options)
    return family.describe(variant)


def task_options(name: str, given: dict[str, Any] | None = None, *, data: Path | str | None = None) -> dict[str, Any]:
    """The options the task ``family:variant`` runs with, resolved here and now.

    Args:
        name: The task.
        given: Options from the caller, checked by the family (``TaskFamily.given``)
            against ``data``.
        data: The run's data reference (a directory or a file).

    Raises:
        UnknownNameError: The family or variant is unknown.
        ConfigError: An option is malformed, unknown or missing (the message names it).
        DataError: The data reference does not hold what the options name.
    """
    family, variant = _family(name)
    checked = family.given(variant, dict(given or {}), Path(data) if data else None)
    return {**family.options(variant), **checked}


def get_task(name: str, *, data_dir: Path | str | None = None, options: dict[str, Any] | None = None) -> Task:
    """Build the task ``family:variant`` with ``options`` (as ``task_options`` resolved them).

    Raises:
        UnknownNameError: The family or variant is unknown; the message lists known names.
        ConfigError: A required option is missing or an option unknown.
    """
    family, variant = _family(name)
    return family.create(variant, Path(data_dir) if data_dir is not None else None, dict(options or {}))


def check_options(task: str, options: dict[str, Any], required: tuple[str, ...]) -> None:
    """Raise unless ``options`` holds exactly the keys ``required`` (for task factories).

    Raises:
        ConfigError: Naming the missing and unknown options.
    """
    missing, unknown = sorted(set(required) - set(options)), sorted(set(options) - set(required))
    if missing or unknown:
        raise ConfigError(
            f"task {task!r} got options {sorted(options)}: missing {missing}, unknown {unknown}; build it with "
            "get_task(name, options=task_options(name)) (the CLI and the service stamp them into every job)"
        )
