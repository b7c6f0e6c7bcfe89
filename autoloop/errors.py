"""The autoloop exception hierarchy: one root, messages that say what to do next."""

from __future__ import annotations


class AutoloopError(Exception):
    """Root of every error autoloop raises on purpose.

    Attributes:
        status: The HTTP status this error maps to when it crosses the API.
        retry_after: Seconds after which a retry may succeed, or ``None``.
    """

    status: int = 500

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigError(AutoloopError):
    """A setting, option or argument is invalid; the message names the field and the fix."""

    status = 422


class UnknownNameError(ConfigError):
    """A task, artifact or optimizer name is not registered."""

    status = 404


class DataError(AutoloopError):
    """Task data is missing or malformed (e.g. the ``--data`` directory lacks a CSV)."""

    status = 422


class SplitLeakError(AutoloopError):
    """A test-split instance was about to reach the optimizer or a selection step."""


class OptimizerError(AutoloopError):
    """The optimizer could not produce a revision (endpoint down, malformed replies)."""

    status = 502


class SkippedUpdateError(OptimizerError):
    """This update could not be made for a reason of its own, not the infrastructure's: the
    model's replies were unusable, or the prompt did not fit its context. The loop run skips
    the update, records the reason and goes on."""


class ContextLengthError(SkippedUpdateError):
    """The server refused the request because prompt plus ``max_tokens`` exceed the model's context window."""

    status = 413


class SandboxError(AutoloopError):
    """The sandbox itself (not the candidate code) failed."""


class ConfinementError(SandboxError):
    """The kernel cannot confine candidate code here, so the sandbox refuses to run it."""


class StoreError(AutoloopError):
    """A checkpoint store could not be read or written."""


class QuotaError(AutoloopError):
    """A tenant is at one of the service's limits for now (e.g. studies running at once); retry later."""

    status = 429


class RunFailedError(AutoloopError):
    """A loop run failed for a reason outside the candidate (endpoint down, Redis, sandbox
    server, missing data) and retrying did not help; the study fails with its message."""

    status = 503
