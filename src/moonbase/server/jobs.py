"""Long jobs (optimise, simulate, schedule) in worker processes, with progress in the database.

A job is a row in ``jobs``. The registry maps a job kind to a target, ``"module:function"``,
imported in the worker, called as ``fn(params, progress, checkpoint)`` and returning a
JSON-able document, stored as a ``results`` row. ``progress(fraction, message, checkpoint=None)``
writes to the job row and raises :class:`JobCancelled` once a cancel was asked for, so cancels
are cooperative. A checkpoint is kept with the job; after a restart the job runs again from it.

Life of a job: ``queued`` -> ``running`` -> ``done`` | ``failed`` | ``cancelled``. At startup
:meth:`JobRunner.start` puts every ``running`` job (its server died) back to ``queued`` and
submits all queued jobs.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib import import_module, util
from typing import Any

from sqlalchemy import select, update

from moonbase.errors import InputError
from moonbase.store import (
    ExperimentRequest,
    Job,
    Result,
    ScenarioRecord,
    make_engine,
    make_sessionmaker,
)
from moonbase.store.models import utcnow

__all__ = [
    "JOB_KINDS",
    "JobCancelled",
    "JobRunner",
    "default_registry",
    "run_job",
    "standin_registry",
]

log = logging.getLogger(__name__)

#: Job kind -> kind of the result document it produces.
JOB_KINDS = {"optimise": "plan", "simulate": "simulation", "schedule": "schedule"}

#: Library entry points wired when their packages provide them: kind -> "module:function".
LIBRARY_TARGETS = {
    "optimise": "moonbase.server.library_jobs:optimise",
    "simulate": "moonbase.server.library_jobs:simulate",
    "schedule": "moonbase.server.library_jobs:schedule",
}

#: ``type`` of the request message that records why the scheduler rejected a request.
REJECTED = "scheduler_rejection"


class JobCancelled(Exception):
    """Raised inside a job by ``progress`` once a cancel was asked for."""


def standin_registry() -> dict[str, str]:
    return {kind: f"moonbase.server.standins:{kind}" for kind in JOB_KINDS}


def default_registry() -> dict[str, str]:
    """Library targets whose library function exists, stand-ins for the rest."""
    registry = standin_registry()
    try:
        from moonbase.server import library_jobs
    except ImportError:  # pragma: no cover - adapters themselves are lazy
        return registry
    for kind, target in LIBRARY_TARGETS.items():
        if library_jobs.available(kind):
            registry[kind] = target
    return registry


def resolve(target: str):
    module_name, _, name = target.partition(":")
    if not name or util.find_spec(module_name) is None:
        raise InputError(f"job target {target!r} is not importable", field="registry")
    return getattr(import_module(module_name), name)


@dataclass
class _Progress:
    sessions: Any
    job_id: int
    min_interval_s: float = 0.2
    _last: float = 0.0

    def __call__(self, fraction: float, message: str = "", checkpoint: dict | None = None) -> None:
        now = time.monotonic()
        if checkpoint is None and now - self._last < self.min_interval_s and fraction < 1.0:
            return
        self._last = now
        values: dict[str, Any] = {
            "progress": max(0.0, min(1.0, float(fraction))),
            "message": str(message)[:500],
            "updated_at": utcnow(),
        }
        if checkpoint is not None:
            values["checkpoint"] = checkpoint
        with self.sessions.begin() as session:
            session.execute(update(Job).where(Job.id == self.job_id).values(**values))
            cancel = session.scalar(select(Job.cancel_requested).where(Job.id == self.job_id))
        if cancel:
            raise JobCancelled


def _prepare(session, job: Job) -> dict:
    params = dict(job.params or {})
    if job.scenario_id is not None:
        scenario = session.get(ScenarioRecord, job.scenario_id)
        if scenario is not None:
            params["scenario"] = scenario.body
    if job.kind == "schedule":
        rows = session.scalars(
            select(ExperimentRequest).where(
                ExperimentRequest.status.in_(("validated", "scheduled", "unscheduled"))
            )
        ).all()
        params["requests"] = [
            {
                "id": r.id,
                "partner_id": r.partner_id,
                "duration_h": r.duration_h,
                "power_w": r.power_w,
                "data_gb": r.data_gb,
                "earliest": r.earliest.isoformat(),
                "latest": r.latest.isoformat(),
                "priority": r.priority,
                "needs_sunlight": r.needs_sunlight,
                "category": r.category,
            }
            for r in rows
        ]
    return params


def _apply(session, job: Job, document: dict) -> None:
    """Write a schedule back: start and status of each request, and the scheduler's reason for
    each rejected one as a message (``type`` :data:`REJECTED`, replacing the previous run's).
    """
    if job.kind != "schedule":
        return
    from datetime import datetime

    rejections = document.get("rejections") or {}
    for key, start in (document.get("starts") or {}).items():
        request = session.get(ExperimentRequest, int(key))
        if request is None or request.status == "withdrawn":
            continue
        request.scheduled_start = datetime.fromisoformat(start) if start else None
        request.status = "scheduled" if start else "unscheduled"
        messages = [m for m in request.messages or [] if m.get("type") != REJECTED]
        rejection = rejections.get(str(key))
        if rejection is not None and not start:
            messages.append(
                {
                    "loc": ["scheduler", str(rejection.get("field", ""))],
                    "msg": str(rejection.get("reason", "")),
                    "hint": "the request cannot be scheduled as it stands; change and resubmit it",
                    "type": REJECTED,
                }
            )
        request.messages = messages
        request.updated_at = utcnow()


def run_job(database_url: str, job_id: int, target: str) -> str:
    """Run job ``job_id`` (in a worker process); return its final status."""
    engine = make_engine(database_url, pool=False)
    sessions = make_sessionmaker(engine)
    try:
        with sessions.begin() as session:
            claimed = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "queued")
                .values(status="running", attempts=Job.attempts + 1, updated_at=utcnow())
            ).rowcount
            if not claimed:
                return "skipped"
            job = session.get(Job, job_id)
            if job.cancel_requested:
                job.status = "cancelled"
                return "cancelled"
            params, checkpoint = _prepare(session, job), job.checkpoint
        status, error, result_id = "done", None, None
        try:
            document = resolve(target)(params, _Progress(sessions, job_id), checkpoint)
            with sessions.begin() as session:
                job = session.get(Job, job_id)
                document = dict(document)
                result = Result(
                    kind=JOB_KINDS[job.kind],
                    job_id=job_id,
                    scenario_id=job.scenario_id,
                    summary=document.pop("summary", {}),
                    body=document,
                )
                session.add(result)
                session.flush()
                result_id = result.id
                _apply(session, job, document)
                job.status, job.progress, job.result_id = "done", 1.0, result_id
                job.message, job.updated_at = "done", utcnow()
            return status
        except JobCancelled:
            status, error = "cancelled", None
        except InputError as exc:
            status, error = "failed", exc.one_line()
        except Exception as exc:
            log.exception("job %s failed", job_id)
            status, error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        with sessions.begin() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(status=status, error=error, message=status, updated_at=utcnow())
            )
        return status
    finally:
        engine.dispose()


class JobRunner:
    """Submits queued jobs to a pool of worker processes (``spawn`` start method)."""

    def __init__(self, database_url: str, sessions, registry: dict[str, str], workers: int = 1):
        self.database_url = database_url
        self.sessions = sessions
        self.registry = registry
        self.workers = max(1, int(workers))
        self._pool: ProcessPoolExecutor | None = None
        self.futures: dict[int, Future] = {}

    def start(self) -> list[int]:
        """Requeue jobs left running by a dead server and submit every queued job."""
        with self.sessions.begin() as session:
            session.execute(
                update(Job)
                .where(Job.status == "running")
                .values(status="queued", message="re-queued after a restart", updated_at=utcnow())
            )
            queued = list(
                session.scalars(select(Job.id).where(Job.status == "queued").order_by(Job.id))
            )
        for job_id in queued:
            self.submit(job_id)
        return queued

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    def submit(self, job_id: int) -> None:
        with self.sessions() as session:
            kind = session.scalar(select(Job.kind).where(Job.id == job_id))
        target = self.registry[kind]
        try:
            future = self._executor().submit(run_job, self.database_url, job_id, target)
        except BrokenProcessPool:  # a worker died (killed, out of memory): start a new pool
            self._pool = None
            future = self._executor().submit(run_job, self.database_url, job_id, target)
        self.futures[job_id] = future
        future.add_done_callback(lambda f, j=job_id: self._finished(j, f))

    def _finished(self, job_id: int, future: Future) -> None:
        self.futures.pop(job_id, None)
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            return
        # The worker itself failed (its process died): the job would stay "running" until the
        # next restart, so record the failure now.
        with self.sessions.begin() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(("queued", "running")))
                .values(
                    status="failed",
                    error=f"worker process failed: {type(error).__name__}: {error}"[:2000],
                    message="failed",
                    updated_at=utcnow(),
                )
            )

    def shutdown(self, wait: bool = True) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None
