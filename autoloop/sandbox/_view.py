"""What a confined child sees of the host: an allow-list, never ``sys.path``.

The child's root shows read-only exactly:

- the Python installation: the standard library and site-packages directories of the
  running interpreter's prefix and base prefix (``sysconfig``'s ``stdlib``, ``platstdlib``,
  ``purelib``, ``platlib``, ``site.getsitepackages()``, the user site when Python enables
  it), and ``LIBDIR`` (``libpython``);
- the system's shared libraries (``/usr/lib``, ``/usr/lib64``, ``/usr/local/lib`` and the
  ``/lib*`` directories that are not symlinks into them) and ``/etc/ld.so.cache``;
- the ``autoloop`` package directory, and the top-level package (or single module file) of
  every module the sandbox server imports for its callers (preloads and entry modules),
  so a trusted entry can import its own siblings;
- nothing from ``hidden`` (service state, task data), even where an allowed path holds it.

Nothing depends on where or how autoloop was started: the working directory,
``PYTHONPATH``, ``sys.path`` and the directories ``.pth`` files add are never shown (an
editable install of a package is shown as that package's directory, not its source tree).
Task data reaches the child only as arguments of a call.
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig
from collections.abc import Iterable

# Shared libraries the dynamic loader may open for an extension module.
_SYSTEM_LIBRARIES = ("/usr/lib", "/usr/lib64", "/usr/local/lib", "/lib", "/lib64", "/lib32")
# Files the dynamic loader reads from /etc; nothing else of /etc is shown.
_ETC_FILES = ("/etc/ld.so.cache",)
_SCHEME_KEYS = ("stdlib", "platstdlib", "purelib", "platlib")


def python_installation() -> set[str]:
    """The interpreter's standard library and site-packages directories, and ``LIBDIR``."""
    paths: set[str] = set()
    for base, platbase in {(sys.prefix, sys.exec_prefix), (sys.base_prefix, sys.base_exec_prefix)}:
        scheme = sysconfig.get_paths(vars={"base": base, "platbase": platbase, "installed_base": base, "installed_platbase": platbase})
        paths.update(scheme[key] for key in _SCHEME_KEYS)
    paths.update(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        paths.add(site.getusersitepackages())
    libdir = sysconfig.get_config_var("LIBDIR")
    if libdir:
        paths.add(libdir)
    return paths


def module_roots(modules: Iterable[str]) -> set[str]:
    """The directory of each module's top-level package, or the file of a top-level module.

    Only modules already imported count (the server imports them before forking): what is
    shown is where they were found, not where they might be.
    """
    roots: set[str] = set()
    for name in modules:
        top = sys.modules.get(name.partition(".")[0])
        if top is None:
            continue
        locations = list(getattr(top, "__path__", ()))
        if not locations and getattr(top, "__file__", None):
            locations = [top.__file__]
        roots.update(location for location in locations if os.path.isabs(location))
    return roots


def child_view(*, modules: Iterable[str] = (), hidden: Iterable[str] = ()) -> tuple[str, ...]:
    """The host paths a confined child's root shows read-only, at the same place.

    Args:
        modules: Modules the server imported for its callers (preloads, entry modules).
        hidden: Directories never shown: an allowed path inside one of them, or holding one,
            is left out.

    Returns:
        Absolute, existing, real paths, none inside another (the outer one is enough).
    """
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the autoloop package
    allowed = {*python_installation(), *_SYSTEM_LIBRARIES, *_ETC_FILES, package, *module_roots(modules)}
    secret = [os.path.realpath(h) for h in hidden if h]
    real = {os.path.realpath(path) for path in allowed if os.path.exists(path)}
    kept: list[str] = []
    for path in sorted(real):
        if path == "/" or any(within(path, s) or within(s, path) for s in secret):
            continue
        if not any(within(path, k) for k in kept):
            kept.append(path)
    return tuple(kept)


def within(path: str, directory: str) -> bool:
    """Whether ``path`` is ``directory`` or lies below it."""
    return path == directory or path.startswith(directory.rstrip("/") + "/")
