"""Registry: the open name -> factory table behind every controller extension point (strategies,
samplers, pruners), with one way to register, list, build and refuse."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from autoloop.errors import ConfigError, UnknownNameError

F = TypeVar("F", bound=Callable[..., Any])


class Registry(Generic[F]):
    """Factories by name, in registration order (built-ins first); a later one replaces an earlier one.

    Args:
        kind: What the factories build, for messages (``pruner``, ``sampler``, ``strategy``).
        call: How a factory is called, for messages (``factory(context)``).
        product: The type every factory must return.
    """

    def __init__(self, kind: str, call: str, product: Callable[[], type]) -> None:
        self.kind, self.call, self._product = kind, call, product
        self.factories: dict[str, F] = {}

    def add(self, name: str, factory: F, *, reserved: tuple[str, ...] = ()) -> None:
        """Register ``factory`` under ``name``.

        Raises:
            ConfigError: ``name`` is empty or reserved, or ``factory`` is not callable.
        """
        if not name or not name.strip() or name in reserved:
            taken = f" other than {', '.join(map(repr, reserved))}" if reserved else ""
            raise ConfigError(f"a {self.kind} needs a non-empty name{taken}, got {name!r}")
        if not callable(factory):
            raise ConfigError(f"{self.kind} {name!r}: the factory must be callable as {self.call}, got {factory!r}")
        self.factories[name] = factory

    def names(self) -> tuple[str, ...]:
        """Registered names, built-ins first."""
        return tuple(self.factories)

    def build(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the factory registered as ``name``; check what it returns.

        Raises:
            UnknownNameError: No factory of that name; the message lists the registered ones.
            ConfigError: The factory returned something other than the product type.
        """
        factory = self.factories.get(name)
        if factory is None:
            raise UnknownNameError(f"unknown {self.kind} {name!r}; choose one of {', '.join(self.names())}")
        built = factory(*args, **kwargs)
        product = self._product()
        if not isinstance(built, product):
            raise ConfigError(
                f"{self.kind} {name!r}: its factory returned {type(built).__name__}, not a {product.__module__}.{product.__qualname__}"
            )
        return built
