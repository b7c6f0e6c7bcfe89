"""Study records in Redis: who owns a study, its request, state, progress and recommendation."""

from __future__ import annotations

import json
import secrets
import time
from typing import TYPE_CHECKING, Any

from autoloop.controller import SettingProgress, StudyPlan
from autoloop.errors import ConfigError
from autoloop.executors import RunTemplate, cancel_queued
from autoloop.failures import FailureTally
from autoloop.redisdb import keys
from autoloop.service._admission import Admission
from autoloop.service._models import FailureCounts, StudyCreate, StudyProgress, StudyView
from autoloop.tasks import Metric

if TYPE_CHECKING:
    import redis

TERMINAL_STATES = ("finished", "failed", "cancelled")


def _text(value: bytes | None) -> str | None:
    return value.decode() if value is not None else None


def new_study_id() -> str:
    """A fresh, unguessable study id."""
    return secrets.token_hex(8)


class StudyRecords:
    """Reads and writes study records; every read is scoped to an owner.

    Args:
        client: Redis client.
    """

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def create(
        self, owner: str, request: StudyCreate, admission: Admission, *, study_id: str | None = None, template: RunTemplate | None = None
    ) -> str:
        """Store a new study (state ``queued``) and mark it active; returns its id.

        Args:
            owner: Owner id.
            request: The request (stored without its API key).
            admission: What the checks at submission resolved: the task's metric, the plan, the budget.
            study_id: Its id (default: a new one).
            template: The run template its jobs are stamped from (keys by reference only).
        """
        study_id = study_id or new_study_id()
        metric = admission.info.metric
        record = {
            "owner": owner,
            "state": "queued",
            "task": request.task,
            "created_at": time.time(),
            "request": json.dumps(request.public()),
            "plan": json.dumps(admission.plan.to_dict()),
            "metric": metric.name,
            "higher_is_better": int(metric.higher_is_better),
        }
        if admission.budget.iterations is not None:
            record["iteration_budget"] = admission.budget.iterations
        if template is not None:
            record["template"] = template.model_dump_json()
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(keys.study(study_id), mapping=record)
            pipe.sadd(keys.studies_of(owner), study_id)
            pipe.sadd(keys.active_studies(), study_id)
            pipe.execute()
        return study_id

    def owned(self, study_id: str, owner: str) -> bool:
        """True when ``study_id`` exists and belongs to ``owner``."""
        return len(study_id) <= 64 and _text(self.client.hget(keys.study(study_id), "owner")) == owner

    def owner(self, study_id: str) -> str:
        """The owner id of an existing study (its runs go on this owner's queue)."""
        owner = _text(self.client.hget(keys.study(study_id), "owner"))
        if owner is None:
            raise ConfigError(f"study {study_id} has no record; it was deleted or never created")
        return owner

    def request(self, study_id: str) -> StudyCreate:
        """The request of a study, without its API key (the template references it)."""
        data = json.loads(self.client.hget(keys.study(study_id), "request"))
        data["llm"].pop("api_key_set", None)
        return StudyCreate.model_validate(data)

    def plan(self, study_id: str) -> StudyPlan:
        """The study plan resolved when the study was created.

        Raises:
            ConfigError: The study has none (created by an older autoloop).
        """
        raw = self.client.hget(keys.study(study_id), "plan")
        if raw is None:
            raise ConfigError(f"study {study_id} has no study plan (created by an older autoloop); create it again")
        return StudyPlan.from_dict(json.loads(raw))

    def template(self, study_id: str) -> RunTemplate:
        """The run template resolved when the study was created.

        Raises:
            ConfigError: The study has none (created by an older autoloop, or without a runner).
        """
        raw = self.client.hget(keys.study(study_id), "template")
        if raw is None:
            raise ConfigError(f"study {study_id} has no run template (created by an older autoloop); create it again")
        return RunTemplate.model_validate_json(raw)

    def state(self, study_id: str) -> str | None:
        """The study's state, or ``None`` if there is no such study."""
        return _text(self.client.hget(keys.study(study_id), "state"))

    def set_state(self, study_id: str, state: str, *, error: str | None = None) -> None:
        """Move a study to ``state``; a terminal state also retires it from the active set."""
        fields: dict[str, Any] = {"state": state}
        if error is not None:
            fields["error"] = error[:2000]
        with self.client.pipeline(transaction=True) as pipe:
            if state in TERMINAL_STATES:
                fields["finished_at"] = time.time()
                pipe.srem(keys.active_studies(), study_id)
                pipe.delete(keys.study_secrets(study_id))
            pipe.hset(keys.study(study_id), mapping=fields)
            pipe.execute()

    def finish(self, study_id: str, recommendation: dict[str, Any]) -> None:
        """Store the recommendation and mark the study finished, in one transaction."""
        with self.client.pipeline(transaction=True) as pipe:
            fields = {"recommendation": json.dumps(recommendation), "state": "finished", "finished_at": time.time()}
            pipe.hset(keys.study(study_id), mapping=fields)
            pipe.srem(keys.active_studies(), study_id)
            pipe.delete(keys.study_secrets(study_id))
            pipe.execute()

    def keep_partial(self, study_id: str, recommendation: dict[str, Any]) -> None:
        """Store what a cancelled study found (its state stays ``cancelled``)."""
        self.client.hset(keys.study(study_id), "recommendation", json.dumps(recommendation))

    def cancel(self, study_id: str) -> None:
        """Raise the study's stop flag and drop its queued runs now; workers abandon its running ones
        within a second (a request in flight included)."""
        self.client.set(keys.study_stop(study_id), 1)
        if self.state(study_id) not in TERMINAL_STATES:
            self.set_state(study_id, "cancelled")
        cancel_queued(self.client, study_id, self.owner(study_id))

    def cancelled(self, study_id: str) -> bool:
        """True once ``cancel`` was called."""
        return bool(self.client.exists(keys.study_stop(study_id)))

    def set_estimate(self, study_id: str, estimate: dict[str, Any]) -> None:
        """Keep what the study was estimated to spend when it was created (``PlanEstimate.to_dict()``)."""
        self.client.hset(keys.study(study_id), "estimate", json.dumps(estimate))

    def estimate(self, study_id: str) -> dict[str, Any] | None:
        """The estimate ``set_estimate`` kept, if any."""
        raw = self.client.hget(keys.study(study_id), "estimate")
        return json.loads(raw) if raw is not None else None

    def recommendation(self, study_id: str) -> dict[str, Any] | None:
        """The stored recommendation, once the study finished."""
        raw = self.client.hget(keys.study(study_id), "recommendation")
        return json.loads(raw) if raw is not None else None

    def finished_recommendations(self, owner: str, *, before: str | None = None) -> list[dict[str, Any]]:
        """The recommendations of ``owner``'s finished studies (never another owner's); with ``before``,
        only those finished before that study was created (the same set whenever it is resumed)."""
        created = None if before is None else float(self.client.hget(keys.study(before), "created_at"))
        out = []
        for study_id in self.of_owner(owner):
            state, finished_at = self.client.hmget(keys.study(study_id), ["state", "finished_at"])
            if state != b"finished" or (created is not None and float(finished_at) >= created):
                continue
            recommendation = self.recommendation(study_id)
            if recommendation is not None:
                out.append(recommendation)
        return out

    def active(self) -> list[str]:
        """Ids of studies whose controller has not finished."""
        return sorted(_text(s) or "" for s in self.client.smembers(keys.active_studies()))

    def active_count(self, owner: str) -> int:
        """How many of ``owner``'s studies are queued or running."""
        return len(self.client.sinter([keys.studies_of(owner), keys.active_studies()]))

    def of_owner(self, owner: str) -> list[str]:
        """Ids of an owner's studies."""
        return sorted(_text(s) or "" for s in self.client.smembers(keys.studies_of(owner)))

    def status(self, study_id: str) -> StudyView:
        """State, request (without secrets) and progress of a study."""
        raw = {k.decode(): v.decode() for k, v in self.client.hgetall(keys.study(study_id)).items()}
        return StudyView(
            id=study_id,
            state=raw["state"],  # type: ignore[arg-type]
            task=raw["task"],
            created_at=float(raw["created_at"]),
            finished_at=float(raw["finished_at"]) if "finished_at" in raw else None,
            error=raw.get("error"),
            request=json.loads(raw["request"]),
            plan=json.loads(raw["plan"]) if "plan" in raw else None,
            estimate=json.loads(raw["estimate"]) if "estimate" in raw else None,
            progress=self.progress(study_id, raw),
        )

    def set_stage(
        self, study_id: str, stage: str, trials: dict[str, int], *, settings: list[dict[str, Any]] | None = None,
        dollars: float | None = None,
    ) -> None:
        """Record the controller's stage, trial counts and, when given, its per-setting progress
        (``SettingProgress.to_dict()`` of each setting) and the dollars spent."""
        fields = {"stage": stage, "trials": json.dumps(trials)}
        if settings is not None:
            fields["settings_progress"] = json.dumps(settings)
        if dollars is not None:
            fields["dollars"] = repr(dollars)
        self.client.hset(keys.study(study_id), mapping=fields)

    def progress(self, study_id: str, record: dict[str, str]) -> StudyProgress:
        """Counts and totals over the study's runs (from each run's live summary)."""
        runs = [json.loads(v) for v in self.client.hvals(keys.study_live(study_id))]
        metric = Metric(record["metric"], record.get("higher_is_better") == "1") if "metric" in record else None
        best_val, best_reval = _best(runs, "best_val"), _best(runs, "revalidation")
        states = [r.get("state") for r in runs]
        return StudyProgress(
            stage=record.get("stage"),
            trials=json.loads(record.get("trials", "{}")),
            iteration_budget=int(record["iteration_budget"]) if "iteration_budget" in record else None,
            runs_done=states.count("done"),
            runs_failed=states.count("failed"),
            runs_running=states.count("running"),
            runs_queued=states.count("queued"),
            best_val=best_val,
            metric=metric.name if metric else None,
            best=_shown(metric, best_val),
            best_revalidation=best_reval,
            revalidation=_shown(metric, best_reval),
            iterations=sum(int(r.get("iteration") or 0) for r in runs),
            tokens=sum(int(r.get("tokens") or 0) for r in runs),
            dollars=float(record["dollars"]) if "dollars" in record else None,
            failures=_failure_counts(runs),
            settings=[
                SettingProgress.model_validate(s).in_units(metric) for s in json.loads(record.get("settings_progress", "[]"))
            ],
        )


def _best(runs: list[dict[str, Any]], name: str) -> float | None:
    """The highest ``name`` (an internal score) of the runs' live summaries, if any has one."""
    return max((r[name] for r in runs if r.get(name) is not None), default=None)


def _shown(metric: Metric | None, value: float | None) -> float | None:
    """An internal score in the metric's own units (``None`` without either)."""
    return None if metric is None or value is None else metric.display(value)


def _failure_counts(runs: list[dict[str, Any]]) -> FailureCounts:
    tally = FailureTally.total(FailureTally.from_dict(run["failures"]) for run in runs if "failures" in run)
    return FailureCounts(**tally.to_dict(), summary=tally.summary())
