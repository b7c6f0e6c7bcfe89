"""The Python client of the autoloop service: submit a study, watch it, fetch the recommendation."""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from autoloop.errors import AutoloopError, ConfigError, UnknownNameError

ENV_URL = "AUTOLOOP_URL"
ENV_TOKEN = "AUTOLOOP_TOKEN"
DEFAULT_URL = "http://127.0.0.1:8000"
TERMINAL_STATES = ("finished", "failed", "cancelled")


def _raise_for(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    message = f"{response.request.method} {response.request.url.path}: HTTP {response.status_code}: {detail}"
    error: AutoloopError
    if response.status_code == 404:
        error = UnknownNameError(message)
    elif response.status_code in (400, 401, 403, 422):
        error = ConfigError(message)
    else:
        error = AutoloopError(message)
    error.status = response.status_code
    raise error


class RecommendationData(dict):
    """A recommendation's JSON (``Recommendation.to_dict()``, ``GET /v1/studies/{id}/recommendation``):
    a plain dict whose ``str()`` is a short summary instead of every run and artifact."""

    def __str__(self) -> str:
        metric = self["metric"]
        lines = [f"{self['task']}: recommended loop settings (scores: {metric['direction']})"]
        lines += [f"  {name:18} {value}" for name, value in self["settings"].items()]
        lines.append(f"  {'validation':18} {_interval(self['validation'])}")
        source = self["test"].get("source")
        lines.append(f"  {'test':18} {_interval(self['test'])}" + (f"; {source}" if source else ""))
        if self.get("returned_test"):
            lines.append(f"  {'returned artifact':18} test {_interval(self['returned_test'])}")
        lines += [f"  warning: {text}" for text in self.get("warnings", [])]
        verdict = self.get("verdict")
        if verdict:
            lines.append(f"  verdict: {verdict['text']}")
        key = "revalidation" if any(run.get("revalidation") is not None for run in self["runs"]) else "best_val"
        lines.append(f"  every setting tried, mean {_RANKED_BY[key]} over its runs, best first:")
        lines += [f"    {name}: {mean:.4g} ({n} run{'s' * (n != 1)})" for name, mean, n in _tried(self["runs"], key, metric["higher_is_better"])]
        spent = self["spent"]
        lines.append(
            f"  spent {spent['iterations']} iterations, {spent['tokens']} tokens, {spent['seconds']} s; "
            f"search ended by: {self['stop_reason']} (strategy {self.get('strategy') or '-'})"
        )
        if self["failures"].get("summary"):
            lines.append(f"  failures: {self['failures']['summary']}")
        return "\n".join(lines)


def _interval(data: dict[str, Any]) -> str:
    unit = data.get("unit", "seeds")
    if data["ci95"] is None:
        return f"{data['mean']:.4g} ({data.get('note') or 'no interval'}, n={data['n']})"
    low, high = data["ci95"]
    return f"{data['mean']:.4g} (95% CI {low:.4g}..{high:.4g}, {data['n']} {unit})"


# What a run's score in the summary is: its returned artifact re-scored on the sealed split (what
# settings are ranked by), or, for a task without that split, the best point of its validation curve.
_RANKED_BY = {"revalidation": "re-validation (the returned artifact on unseen data, what ranks settings)", "best_val": "best validation"}


def _tried(runs: list[dict[str, Any]], key: str, higher_is_better: bool) -> list[tuple[str, float, int]]:
    """(setting, mean of the runs' ``key`` score, runs) of every setting with a scored run, best first."""
    scores: dict[str, list[float]] = {}
    for run in runs:
        if run.get(key) is not None:
            name = ", ".join(f"{k}={v}" for k, v in run["settings"].items() if k in ("starting_artifact", "credit_horizon", "batch_size"))
            scores.setdefault(name, []).append(run[key])
    rows = [(name, sum(v) / len(v), len(v)) for name, v in scores.items()]
    return sorted(rows, key=lambda row: row[1], reverse=higher_is_better)


class StudyFailedError(AutoloopError):
    """A study ended in ``failed``; the message carries the service's reason.

    Attributes:
        study: The study's id.
        reason: Why it failed, as the service words it (``error`` of its status).
        last_status: Its final status.
    """

    def __init__(self, study: str, status: dict[str, Any]) -> None:
        self.study, self.reason, self.last_status = study, status.get("error") or "no reason recorded", status
        super().__init__(f"study {study} failed: {self.reason}")


class Study:
    """A study on the service.

    Args:
        client: The client that created or found it.
        study_id: Its id.
    """

    def __init__(self, client: Client, study_id: str) -> None:
        self.client = client
        self.id = study_id

    def __repr__(self) -> str:
        return f"Study({self.id!r})"

    def status(self) -> dict[str, Any]:
        """State and progress (``GET /v1/studies/{id}``)."""
        return self.client._request("GET", f"/v1/studies/{self.id}")

    def wait(self, *, progress: bool = True, poll_s: float = 1.0, timeout_s: float | None = None) -> dict[str, Any]:
        """Poll until the study finishes or is cancelled; returns the last status.

        Args:
            progress: Show a live progress bar (iterations spent of the budget) on stderr.
            poll_s: Seconds between polls.
            timeout_s: Give up after this long (``None`` = wait as long as it takes).

        Raises:
            StudyFailedError: The study failed; the message says why.
            AutoloopError: ``timeout_s`` passed first.
        """
        from tqdm import tqdm

        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        status = self.status()
        total = status["progress"]["iteration_budget"]
        with tqdm(total=total, desc=f"study {self.id}", unit="it", file=sys.stderr, disable=not progress, dynamic_ncols=True) as bar:
            while True:
                p = status["progress"]
                bar.n = min(p["iterations"], bar.total)
                best = "-" if p["best"] is None else f"{p['best']:.4f} {p['metric']}"
                runs = f"runs {p['runs_done']} done, {p['runs_running']} running, {p['runs_queued']} queued"
                bar.set_postfix_str(f"{p['stage'] or status['state']}: {runs}; best {best}")
                if status["state"] == "failed":
                    raise StudyFailedError(self.id, status)
                if status["state"] in TERMINAL_STATES:
                    return status
                if deadline is not None and time.monotonic() > deadline:
                    raise AutoloopError(f"study {self.id} still {status['state']} after {timeout_s}s; wait again or cancel it")
                time.sleep(poll_s)
                status = self.status()

    def recommendation(self) -> RecommendationData:
        """The recommendation of a finished study (an error while it runs); ``print`` it for a summary."""
        return RecommendationData(self.client._request("GET", f"/v1/studies/{self.id}/recommendation"))

    def report(self) -> str:
        """The HTML report of a finished study (an error while it runs): one self-contained page."""
        return self.client._send("GET", f"/v1/studies/{self.id}/report").text

    def cancel(self) -> dict[str, Any]:
        """Cancel: queued runs are dropped at once, running ones abandoned within a second."""
        return self.client._request("DELETE", f"/v1/studies/{self.id}")


class Client:
    """HTTP client of an autoloop service.

    Args:
        url: Service URL (default ``$AUTOLOOP_URL`` or http://127.0.0.1:8000).
        token: API token from ``autoloop token create`` (default ``$AUTOLOOP_TOKEN``).
        timeout_s: Per-request timeout.

    Example:
        >>> with Client("http://127.0.0.1:8000", token) as client:  # doctest: +SKIP
        ...     study = client.submit("mlpipeline:spaceship-titanic", budget_iterations=60)
        ...     study.wait(progress=True)
        ...     print(study.recommendation()["settings"])
    """

    def __init__(self, url: str | None = None, token: str | None = None, *, timeout_s: float = 30.0) -> None:
        self.url = (url or os.environ.get(ENV_URL) or DEFAULT_URL).rstrip("/")
        token = token or os.environ.get(ENV_TOKEN)
        if not token:
            raise ConfigError(f"no API token: pass token=... or set {ENV_TOKEN} (create one with `autoloop token create`)")
        self._http = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout_s)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._send(method, path, **kwargs).json()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise AutoloopError(f"cannot reach the autoloop service at {self.url} ({exc}); is `autoloop serve` running?") from exc
        _raise_for(response)
        return response

    def submit(
        self,
        task: str,
        *,
        preset: str | None = None,
        space: str | None = None,
        budget_iterations: int | None = None,
        budget_tokens: int | None = None,
        budget_dollars: float | None = None,
        prices: dict[str, tuple[float, float]] | None = None,
        iterations: int | None = None,
        seeds: int | None = None,
        top_k: int | None = None,
        final_seeds: int | None = None,
        val_interval: int | None = None,
        patience: int | None = None,
        memory: int | None = None,
        parallel: int = 4,
        optimizer: str | None = None,
        llm_model: str | None = None,
        llm_base_url: str | None = None,
        llm_api_key: str | None = None,
        strategy: str | None = None,
        pruner: str | None = None,
        confidence: float | None = None,
        seed: int = 0,
        data_dir: str | None = None,
        task_options: dict[str, str | int | float | bool] | None = None,
        sampler: str | None = None,
        warm_start: bool = False,
    ) -> Study:
        """Submit a tuning job (``POST /v1/studies``); see the service's OpenAPI spec for each field.

        The study plan is ``preset``'s (``quick``, ``standard`` or ``thorough``; ``None`` = the
        service's default, as ``autoloop tune``) with the plan arguments given on top
        (``iterations`` to ``memory``, ``strategy``, ``pruner``, ``confidence``); ``None`` takes
        the preset's value. The resolved plan is echoed in the study's status (``plan``). Without
        ``budget_iterations`` or ``budget_tokens`` the preset's iteration budget applies.
        ``budget_dollars`` caps the LLM spend; ``prices`` maps a model to its US dollars per
        million prompt and completion tokens, over the service's price table.

        ``warm_start=True`` starts the study from this token's finished studies of the same task
        or family (best-arm strategies); the recommendation says how many (``warm_start``).

        ``data_dir`` is a directory or a file (a CSV for ``csv:<name>``) as the service sees it;
        ``task_options`` are the task's own (``{"target": "species"}`` for a CSV), checked
        against the data when the study is created. ``sampler`` is the old name of ``strategy``
        (deprecated: accepted for one release, with a ``DeprecationWarning``).

        Raises:
            ConfigError: The service refused the request; the message names the field (HTTP 422).
        """
        if sampler is not None:
            warnings.warn("Client.submit(sampler=...) is now strategy=...; sampler goes away in the next release",
                          DeprecationWarning, stacklevel=2)
            strategy = strategy or sampler
        plan = {
            "preset": preset, "iterations": iterations, "seeds": seeds, "top_k": top_k, "final_seeds": final_seeds,
            "val_interval": val_interval, "patience": patience, "memory": memory, "strategy": strategy, "pruner": pruner,
        }
        body = {
            "task": task, "space": space, "budget": {"iterations": budget_iterations, "tokens": budget_tokens, "dollars": budget_dollars},
            "prices": {model: list(price) for model, price in (prices or {}).items()},
            "parallel": parallel, "optimizer": optimizer, "seed": seed, "confidence": confidence,
            "data_dir": data_dir, "task_options": task_options or {}, "warm_start": warm_start,
            "llm": {"model": llm_model, "base_url": llm_base_url, "api_key": llm_api_key},
            **{k: v for k, v in plan.items() if v is not None},  # the service resolves the rest from the preset
        }
        return Study(self, self._request("POST", "/v1/studies", json=body)["id"])

    def upload(self, path: str | os.PathLike[str], name: str | None = None) -> str:
        """Upload a local file (e.g. a CSV) into this tenant's own data folder on the service.

        Args:
            path: The file to send.
            name: Its name on the service (default: the file's name).

        Returns:
            The name to pass as ``data_dir`` to ``submit``.
        """
        local = Path(path)
        reply = self._request("PUT", f"/v1/datasets/{name or local.name}", content=local.read_bytes())
        return str(reply["name"])

    def study(self, study_id: str) -> Study:
        """A handle on an existing study of this token (checked on the service)."""
        study = Study(self, study_id)
        study.status()
        return study

    def studies(self) -> list[dict[str, Any]]:
        """Statuses of this token's studies, newest first."""
        return self._request("GET", "/v1/studies")["studies"]

    def defaults(
        self,
        *,
        family: str | None = None,
        tasks: list[str] | None = None,
        aggregate: str | None = None,
        tolerance: float | None = None,
    ) -> dict[str, Any]:
        """The robust default over this token's finished studies (``GET /v1/defaults``).

        Args:
            family: Only tasks of this family (e.g. ``atari``).
            tasks: Only these tasks (each needs a finished study).
            aggregate: ``normalized`` (mean normalized regret, the default) or ``rank``.
            tolerance: Normalized regret beyond which a task left out counts against transfer.

        Returns:
            ``pick``, ``aggregate``, ``leave_one_task_out`` (``{task, default, regret, own_pick, ...}``
            per task), ``does_not_transfer`` and the ``evidence`` (studies and runs per task).

        Raises:
            ConfigError: Fewer than two tasks with finished studies, or a named task has none (HTTP 422).
        """
        query = {"family": family, "tasks": ",".join(tasks) if tasks else None, "aggregate": aggregate, "tolerance": tolerance}
        return self._request("GET", "/v1/defaults", params={k: v for k, v in query.items() if v is not None})

    def tasks(self) -> list[dict[str, Any]]:
        """The tasks the service knows."""
        return self._request("GET", "/v1/tasks")

    def health(self) -> dict[str, Any]:
        """``GET /healthz``."""
        return self._request("GET", "/healthz")

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
