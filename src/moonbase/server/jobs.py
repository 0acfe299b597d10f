"""Long jobs (plan, simulate, schedule) in worker processes, exactly once, with progress in the
database.

A job is a row in ``jobs``. The registry maps a job kind to a target, ``"module:function"``,
imported in the worker, called as ``fn(params, progress, checkpoint)`` and returning a
JSON-able document, stored as a ``results`` row. ``progress(fraction, message, checkpoint=None)``
writes to the job row and raises :class:`JobCancelled` once a cancel was asked for (or once the
job is no longer this worker's), so cancels are cooperative. A checkpoint is kept with the job;
after a restart the job runs again from it.

Life of a job: ``queued`` -> ``running`` -> ``done`` | ``failed`` | ``cancelled``.

Exactly once:

* A worker claims a queued job by raising its ``attempts`` by one; that number is its fence.
  Every later write of the worker (progress, checkpoint, the result, the final status) is an
  ``UPDATE ... WHERE id = job AND attempts = mine AND status = 'running'``, and the result row is
  inserted in the same transaction only when that update hit the row. A worker whose job was
  re-queued or claimed again can therefore not write anything, and ``results.job_id`` is unique.
* Each job runs in its own process, started from the runner's own thread. On Linux the worker
  asks the kernel to kill it when that thread's process dies (``PR_SET_PDEATHSIG``), and on
  every system it watches its parent's pid and exits once the parent is gone: a SIGKILLed
  server leaves no worker behind.
* :meth:`JobRunner.shutdown` (SIGTERM, Ctrl-C) terminates the running workers and puts their
  jobs back to ``queued``; :meth:`JobRunner.start` (the next server) re-queues any job a dead
  server left ``running`` and submits the queued ones, which resume from their checkpoints.

One server process runs the jobs of a database.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import queue
import sys
import threading
import time
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
    "LIBRARY_TARGETS",
    "JobCancelled",
    "JobRunner",
    "default_registry",
    "finite_json",
    "run_job",
    "store_result",
]

log = logging.getLogger(__name__)

#: Job kind -> kind of the result document it produces.
JOB_KINDS = {"optimise": "plan", "simulate": "simulation", "schedule": "schedule"}

#: The library's job functions: kind -> "module:function".
LIBRARY_TARGETS = {
    "optimise": "moonbase.server.library_jobs:optimise",
    "simulate": "moonbase.server.library_jobs:simulate",
    "schedule": "moonbase.server.library_jobs:schedule",
}

#: ``type`` of the request message that records why the scheduler rejected a request.
REJECTED = "scheduler_rejection"

#: Seconds between a worker's checks that its server is still alive.
PARENT_CHECK_S = 0.5


class JobCancelled(Exception):
    """Raised inside a job by ``progress`` once a cancel was asked for or the job was taken away."""


def default_registry() -> dict[str, str]:
    """The library's job functions (:data:`LIBRARY_TARGETS`)."""
    return dict(LIBRARY_TARGETS)


def resolve(target: str):
    module_name, _, name = target.partition(":")
    if not name or util.find_spec(module_name) is None:
        raise InputError(f"job target {target!r} is not importable", field="registry")
    return getattr(import_module(module_name), name)


def finite_json(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, infinities) replaced by None.

    PostgreSQL's JSON refuses them and JSON itself has no spelling for them; the library's
    documents use NaN for "none", which is what None says.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    return value


def _fence(job_id: int, attempt: int):
    return (Job.id == job_id, Job.attempts == attempt, Job.status == "running")


@dataclass
class _Progress:
    sessions: Any
    job_id: int
    attempt: int
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
            values["checkpoint"] = finite_json(checkpoint)
        with self.sessions.begin() as session:
            hit = session.execute(
                update(Job).where(*_fence(self.job_id, self.attempt)).values(**values)
            ).rowcount
            cancel = session.scalar(select(Job.cancel_requested).where(Job.id == self.job_id))
        if cancel or not hit:  # cancelled, or no longer this worker's job
            raise JobCancelled


def _prepare(session, job: Job, terrain: dict | None = None) -> dict:
    params = dict(job.params or {})
    # The site terrain is the server's (a file on its disk): never a client's choice.
    params["site_terrain"] = terrain
    if job.scenario_id is not None:
        scenario = session.get(ScenarioRecord, job.scenario_id)
        if scenario is not None:
            params["scenario"] = scenario.body
    if job.kind == "schedule":
        params["plan"] = _plan_for(session, job, params)
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


def _plan_for(session, job: Job, params: dict) -> dict | None:
    """The plan a schedule job schedules on: ``params["plan_id"]``, else the newest plan (of the
    job's scenario, when it names one); None when there is none.
    """
    query = select(Result).where(Result.kind == "plan").order_by(Result.id.desc()).limit(1)
    plan_id = params.pop("plan_id", None)
    if plan_id is not None:
        if not isinstance(plan_id, int) or isinstance(plan_id, bool):
            raise InputError("plan_id must be a plan's id", field="params.plan_id")
        query = query.where(Result.id == plan_id)
    elif job.scenario_id is not None:
        query = query.where(Result.scenario_id == job.scenario_id)
    row = session.scalars(query).first()
    if row is None:
        if plan_id is not None:
            raise InputError(f"there is no plan {plan_id}", field="params.plan_id")
        return None
    return {"id": row.id, "scenario_id": row.scenario_id, "resources": row.body.get("resources")}


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


def store_result(sessions, job_id: int, attempt: int, document: dict) -> int | None:
    """Store ``document`` as the result of attempt ``attempt`` of job ``job_id``, in one
    transaction with the job's ``done``; None (and nothing written) when the job is no longer
    that attempt's.
    """
    document = finite_json(dict(document))
    with sessions.begin() as session:
        hit = session.execute(
            update(Job)
            .where(*_fence(job_id, attempt))
            .values(status="done", progress=1.0, message="done", updated_at=utcnow())
        ).rowcount
        if not hit:
            return None
        job = session.get(Job, job_id)
        result = Result(
            kind=JOB_KINDS[job.kind],
            job_id=job_id,
            scenario_id=job.scenario_id,
            summary=document.pop("summary", {}),
            body=document,
        )
        session.add(result)
        session.flush()
        job.result_id = result.id
        _apply(session, job, document)
        return result.id


def _finish(sessions, job_id: int, attempt: int, status: str, error: str | None) -> bool:
    with sessions.begin() as session:
        return bool(
            session.execute(
                update(Job)
                .where(*_fence(job_id, attempt))
                .values(status=status, error=error, message=status, updated_at=utcnow())
            ).rowcount
        )


def run_job(database_url: str, job_id: int, target: str, terrain: dict | None = None) -> str:
    """Run job ``job_id`` (in a worker process); return its final status.

    ``terrain``: the server's site terrain, keyword arguments of
    :func:`moonbase.site.stage.site_terrain` (None: the packaged DEM with the far field).
    """
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
            attempt = job.attempts
            if job.cancel_requested:
                job.status, job.message = "cancelled", "cancelled"
                return "cancelled"
            try:
                params = _prepare(session, job, terrain)
            except InputError as exc:
                job.status, job.message, job.error = "failed", "failed", exc.one_line()
                return "failed"
            checkpoint = job.checkpoint
        try:
            document = resolve(target)(params, _Progress(sessions, job_id, attempt), checkpoint)
            if store_result(sessions, job_id, attempt, document) is None:
                return "superseded"
            return "done"
        except JobCancelled:
            status, error = "cancelled", None
        except InputError as exc:
            status, error = "failed", exc.one_line()
        except Exception as exc:
            log.exception("job %s failed", job_id)
            status, error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        return status if _finish(sessions, job_id, attempt, status, error) else "superseded"
    finally:
        engine.dispose()


# ---- worker processes ---------------------------------------------------------------------


def _die_with_parent(parent_pid: int) -> None:
    """Make this process end when ``parent_pid`` does (see the module docstring)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            pass
    if os.getppid() != parent_pid:  # the parent died before the line above
        os._exit(0)

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_S)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker(database_url: str, job_id: int, target: str, terrain, parent_pid: int) -> None:
    _die_with_parent(parent_pid)
    run_job(database_url, job_id, target, terrain)


class JobRunner:
    """Runs queued jobs, each in its own worker process (``spawn``), ``workers`` at a time.

    One thread of the runner starts, watches and reaps the workers; the API's threads only put
    job ids on its queue (:meth:`submit`).
    """

    def __init__(
        self,
        database_url: str,
        sessions,
        registry: dict[str, str],
        workers: int = 1,
        terrain: dict | None = None,
    ):
        self.database_url = database_url
        self.terrain = terrain
        self.sessions = sessions
        self.registry = registry
        self.workers = max(1, int(workers))
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._running: dict[int, multiprocessing.process.BaseProcess] = {}
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._context = multiprocessing.get_context("spawn")

    # -- API side --------------------------------------------------------------------------
    def start(self) -> list[int]:
        """Requeue jobs left running by a dead server, submit every queued job, start the
        runner's thread."""
        with self.sessions.begin() as session:
            session.execute(
                update(Job)
                .where(Job.status == "running")
                .values(status="queued", message="re-queued after a restart", updated_at=utcnow())
            )
            queued = list(
                session.scalars(select(Job.id).where(Job.status == "queued").order_by(Job.id))
            )
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="moonbase-jobs", daemon=True)
        self._thread.start()
        for job_id in queued:
            self.submit(job_id)
        return queued

    def submit(self, job_id: int) -> None:
        self._queue.put(job_id)

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers."""
        return [p.pid for p in list(self._running.values()) if p.pid is not None]

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stop the runner: terminate the running workers and put their jobs back in the queue
        (they resume from their checkpoints at the next start)."""
        if self._thread is None:
            return
        self._stopping.set()
        self._queue.put(None)
        self._thread.join(timeout=timeout_s)
        self._thread = None

    # -- the runner's thread ------------------------------------------------------------------
    def _loop(self) -> None:
        waiting: list[int] = []
        try:
            while not self._stopping.is_set():
                self._reap()
                while len(self._running) < self.workers and waiting:
                    self._launch(waiting.pop(0))
                try:
                    item = self._queue.get(timeout=0.1)
                except queue.Empty:
                    continue
                if item is not None and item not in waiting and item not in self._running:
                    waiting.append(item)
        finally:
            self._stop_workers()

    def _launch(self, job_id: int) -> None:
        with self.sessions() as session:
            kind = session.scalar(select(Job.kind).where(Job.id == job_id))
        target = self.registry.get(kind) if kind else None
        if target is None:
            return
        process = self._context.Process(
            target=_worker,
            args=(self.database_url, job_id, target, self.terrain, os.getpid()),
            name=f"moonbase-job-{job_id}",
            daemon=True,
        )
        process.start()
        self._running[job_id] = process

    def _reap(self) -> None:
        for job_id, process in list(self._running.items()):
            if process.is_alive():
                continue
            process.join()
            del self._running[job_id]
            if process.exitcode != 0:
                # The worker itself died (killed, out of memory): its job would stay running
                # until the next restart, so record the failure now.
                self._mark(
                    job_id,
                    "failed",
                    error=f"worker process failed: exit code {process.exitcode}",
                )

    def _stop_workers(self) -> None:
        for process in self._running.values():
            process.terminate()
        for job_id, process in self._running.items():
            process.join(timeout=5)
            if process.is_alive():  # pragma: no cover - ignored SIGTERM
                process.kill()
                process.join(timeout=5)
            self._mark(job_id, "queued", message="interrupted by a server shutdown; queued")
        self._running.clear()

    def _mark(self, job_id: int, status: str, *, error: str | None = None, message=None) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_(("queued", "running")))
                .values(
                    status=status,
                    error=error,
                    message=message or status,
                    updated_at=utcnow(),
                )
            )
