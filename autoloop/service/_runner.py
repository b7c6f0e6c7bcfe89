"""StudyRunner: one controller thread per active study, resumed after a service restart.

A study's controller is rebuilt from its stored request and resumes its Optuna study,
kept in Redis (``JournalRedisBackend``) or in the RDB given by ``optuna_storage``: the
trials carry their runs and the outcomes recorded so far, runs that finished while the
service was down are reported by the executor from their recorded outcomes (counted
once), and runs still going on the workers are followed.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Any

import redis

from autoloop.controller import Controller, PlanEstimate, SearchSpace, StudyStatus, warm_prior
from autoloop.errors import AutoloopError
from autoloop.executors import ExecutorDetached, RQExecutor, RunTemplate, StudyCancelled
from autoloop.llm import SECRET_SCHEME, OutboundPolicy, register_secret_lookup
from autoloop.redisdb import StudySecrets
from autoloop.service._admission import admit, check_data
from autoloop.service._data_access import DataAccess
from autoloop.service._estimate import estimate_request, study_prices
from autoloop.service._models import StudyCreate, StudyEstimate
from autoloop.service._operator import OperatorSettings
from autoloop.service._optuna import study_storage
from autoloop.service._quotas import check_active_studies
from autoloop.service._records import StudyRecords, new_study_id
from autoloop.service._template import request_template, study_template
from autoloop.tasks import describe_task

logger = logging.getLogger(__name__)

_JOIN_TIMEOUT_S = 10.0
# How often a study paused by a Redis outage checks whether Redis is back.
REDIS_POLL_S = 1.0


class StudyRunner:
    """Runs the controllers of studies in background threads of the service.

    Args:
        client: Redis client.
        redis_url: URL of the same Redis (the Optuna journal backend opens its own connection).
        optuna_storage: An RDB URL for the Optuna studies instead of Redis (e.g. PostgreSQL).
        settings: The operator's settings every submission is checked against (default: from the environment).
    """

    def __init__(
        self, client: redis.Redis, redis_url: str, *, optuna_storage: str | None = None, settings: OperatorSettings | None = None
    ) -> None:
        self.settings = settings or OperatorSettings.from_env()
        self.data = DataAccess(self.settings)
        self.outbound = OutboundPolicy(self.settings.llm_allow)
        self.client = client
        self.redis_url = redis_url
        self.optuna_storage = optuna_storage
        self.records = StudyRecords(client)
        self.secrets = StudySecrets(client, create_key=True)
        # A controller that builds a task up front (BBEH) resolves the study's keys like a worker.
        register_secret_lookup(SECRET_SCHEME, self.secrets.get)
        self._threads: dict[str, threading.Thread] = {}
        self._executors: dict[str, RQExecutor] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def create(self, owner: str, request: StudyCreate) -> str:
        """Check the tenant's quotas and ``request`` (``admit``), resolve its data and run template
        once (here, from this service's environment and the tenant's options), check its data, keep
        its keys in Redis and store the study.

        Returns:
            The new study's id.

        Raises:
            QuotaError: The tenant has as many studies queued or running as it may (HTTP 429).
            ConfigError: A field of the request cannot work; the message names it (HTTP 422).
        """
        check_active_studies(self.records.active_count(owner), self.settings)
        admission = admit(request, self.settings)
        data_dir = self.data.resolve(owner, request.data_dir) if request.data_dir is not None else None
        study_id = new_study_id()
        estimates: list[PlanEstimate] = []

        def check(template: RunTemplate) -> None:
            check_data(template)
            estimates.append(estimate_request(request, template, admission.plan))  # a dollar budget needs every model priced

        template = study_template(
            request, study_id, self.secrets, data_dir=data_dir, operator=self.settings, outbound=self.outbound, check=check
        )
        # A CSV task's metric comes with its options, resolved in the template.
        admission = replace(admission, info=describe_task(request.task, template.task_options))
        self.records.create(owner, request, admission, study_id=study_id, template=template)
        self.records.set_estimate(study_id, estimates[0].to_dict())
        return study_id

    def estimate(self, owner: str, request: StudyCreate) -> StudyEstimate:
        """What ``request`` would spend, checked as ``create`` checks it; nothing is stored or run.

        Raises:
            ConfigError: A field of the request cannot work; the message names it (HTTP 422).
        """
        admission = admit(request, self.settings)
        data_dir = self.data.resolve(owner, request.data_dir) if request.data_dir is not None else None
        template = request_template(request, None, data_dir=data_dir, operator=self.settings, outbound=self.outbound)
        check_data(template)
        return StudyEstimate(estimate=estimate_request(request, template, admission.plan).to_dict(), plan=admission.plan.to_dict())

    def start(self, study_id: str) -> None:
        """Start (or resume) the controller of ``study_id`` in a thread."""
        with self._lock:
            if study_id in self._threads and self._threads[study_id].is_alive():
                return
            thread = threading.Thread(target=self._run, args=(study_id,), name=f"study-{study_id}", daemon=True)
            self._threads[study_id] = thread
        thread.start()

    def resume(self) -> None:
        """Start the controllers of every study left active by an earlier run of the service."""
        for study_id in self.records.active():
            logger.info("resuming study %s", study_id)
            self.start(study_id)

    def shutdown(self) -> None:
        """Detach every controller (runs keep going on the workers) and wait for the threads."""
        self._stopping.set()
        with self._lock:
            executors, threads = list(self._executors.values()), list(self._threads.values())
        for executor in executors:
            executor.detach()
        for thread in threads:
            thread.join(_JOIN_TIMEOUT_S)

    def join(self, study_id: str, timeout: float | None = None) -> None:
        """Wait for the controller thread of ``study_id`` (tests, the embedded quickstart)."""
        thread = self._threads.get(study_id)
        if thread is not None:
            thread.join(timeout)

    def _storage(self, study_id: str) -> Any:
        return study_storage(self.redis_url, self.optuna_storage)

    def _controller(self, study_id: str, executor: RQExecutor) -> Controller:
        request = self.records.request(study_id)

        def on_status(status: StudyStatus) -> None:
            self.records.set_stage(
                study_id, status.stage, status.trials, settings=[s.to_dict() for s in status.settings], dollars=status.dollars
            )

        template = self.records.template(study_id)
        info = describe_task(request.task, template.task_options)
        plan = self.records.plan(study_id)
        return Controller(
            template,
            plan=plan,
            info=info,
            executor=executor,
            budget=request.budget.limits(plan),
            space=SearchSpace.from_task(info, request.space),
            parallel=request.parallel,
            storage=self._storage(study_id),
            study_name=study_id,
            seed=request.seed,
            on_status=on_status,
            prices=study_prices(request, template, self.records.estimate(study_id)),
            # the owner's own studies, finished before this one was created: one tenant's prior never
            # reads another's, and a resumed study starts from the same prior
            prior=warm_prior(self.records.finished_recommendations(self.records.owner(study_id), before=study_id), request.task, info)
            if request.warm_start else None,
        )

    def _run(self, study_id: str) -> None:
        """Run (or resume) the study's controller until it ends; a Redis outage pauses it.

        The study's state lives in Redis (the Optuna study, recorded outcomes), so when Redis
        was gone for longer than the client's retries the controller waits for it and resumes.
        """
        while True:
            try:
                self._run_once(study_id)
                return
            except redis.RedisError as exc:
                logger.warning("study %s: Redis unavailable (%s); resuming once it is back", study_id, exc)
                if not self._wait_for_redis():
                    return

    def _wait_for_redis(self) -> bool:
        """Block until Redis answers (True) or the service shuts down (False)."""
        while not self._stopping.wait(REDIS_POLL_S):
            try:
                if self.client.ping():
                    return True
            except redis.RedisError:
                continue
        return False

    def _run_once(self, study_id: str) -> None:
        executor = RQExecutor(self.client, study_id, owner=self.records.owner(study_id))
        with self._lock:
            self._executors[study_id] = executor
        controller: Controller | None = None
        try:
            if self.records.cancelled(study_id):
                raise StudyCancelled(f"study {study_id} was cancelled")
            self.records.set_state(study_id, "running")
            controller = self._controller(study_id, executor)
            recommendation = controller.run()
        except ExecutorDetached:
            logger.info("study %s detached; it resumes when the service restarts", study_id)
            return
        except StudyCancelled:
            logger.info("study %s cancelled", study_id)
            partial = controller.partial_recommendation() if controller is not None else None
            if partial is not None:  # what it found so far: its recommendation and report say "cancelled"
                self.records.keep_partial(study_id, partial.to_dict())
            executor.close()
            return
        # A study whose task, data or budget is wrong fails alone; the service keeps serving.
        except AutoloopError as exc:
            logger.warning("study %s failed: %s", study_id, exc)
            self.records.set_state(study_id, "failed", error=str(exc))
            executor.close()
            return
        except redis.RedisError:
            raise  # not the study's fault: _run waits for Redis and resumes
        except Exception as exc:
            logger.exception("study %s crashed", study_id)
            self.records.set_state(study_id, "failed", error=f"internal error: {type(exc).__name__}: {exc}")
            executor.close()
            return
        finally:
            with self._lock:
                self._executors.pop(study_id, None)
        self.records.finish(study_id, {**recommendation.to_dict(), "estimate": self.records.estimate(study_id)})
        executor.close()
        logger.info("study %s finished", study_id)
