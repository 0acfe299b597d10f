"""The FastAPI application: REST resources, token auth, partner scoping, jobs and the dashboard.

``create_app(settings)`` builds an app over one database; its lifespan migrates the schema,
re-queues jobs a dead server left running and starts the job runner (and stops its workers on
the way out). Every endpoint needs a ``Authorization: Bearer <token>`` header except
``/api/health``, the OpenAPI document and the static dashboard.

Scoping: rows owned by a partner (requests, products, tokens, jobs) are filtered by the
caller's partner in the query itself; another partner's row answers 404, as a missing one does.
The station's shared documents (scenarios, plans, simulations, the partner list and shares) are
made by station planners for the whole consortium and every partner reads them; a schedule
shows a partner only its own requests' entries. Data products follow the archive's embargo.

Every error is JSON ``{"message": str, "detail": [{"loc", "msg", "type"}, ...]}``, 5xx included.
"""

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from moonbase import __version__
from moonbase.errors import InputError
from moonbase.server import schemas as s
from moonbase.server.jobs import LIBRARY_TARGETS, JobRunner, default_registry
from moonbase.server.limits import (
    AuthThrottle,
    BodyLimitMiddleware,
    ErrorMiddleware,
    SummaryCache,
    TokenCache,
)
from moonbase.server.rules import (
    Principal,
    RequestLimits,
    can_see_product,
    check_request,
    is_embargoed,
    may_manage_token,
)
from moonbase.store import (
    DataProduct,
    ExperimentRequest,
    Job,
    Partner,
    Result,
    ScenarioRecord,
    Token,
    database_url,
    ensure_partner,
    issue_token,
    lookup_token,
    make_engine,
    make_sessionmaker,
    migrate,
    set_token_policy,
    token_policy,
)
from moonbase.store.models import utcnow

__all__ = ["Settings", "create_app"]

MAX_BODY_BYTES = 512 * 1024

#: Errors any operation may answer, each with an :class:`~moonbase.server.schemas.ErrorOut` body.
ERRORS = {
    400: "the body is not JSON, or nested too deeply",
    401: "missing, unknown, revoked or expired token",
    403: "the token's role may not do this",
    404: "no such row, or not visible to the caller's partner",
    408: "the request body did not arrive in time",
    409: "the row's state does not allow this",
    413: "the request body is too large",
    429: "too many wrong tokens from this address; see Retry-After",
    500: "a server error (nothing was changed by the request)",
    503: "the database is busy or unreachable; see Retry-After",
}

log = logging.getLogger(__name__)


@dataclass
class Settings:
    """How to build the app. ``database_url`` wins over ``data_dir``; ``registry`` maps job
    kinds to ``"module:function"`` targets (default: the library's,
    :data:`moonbase.server.jobs.LIBRARY_TARGETS`). ``terrain``: the site terrain of plan and
    simulate jobs, keyword arguments of :func:`moonbase.site.stage.site_terrain` (default: the
    packaged DEM with the far field). ``auth_failures`` wrong tokens from one address within
    ``auth_window_s`` throttle that address (429).
    """

    data_dir: Path | None = None
    database_url: str | None = None
    registry: dict[str, str] | None = None
    workers: int = 1
    limits: RequestLimits = field(default_factory=RequestLimits)
    today: Callable[[], date] = field(default=lambda: datetime.now(UTC).date())
    start_jobs: bool = True
    terrain: dict | None = None
    auth_failures: int = 20
    auth_window_s: float = 60.0

    def url(self) -> str:
        return self.database_url or database_url(self.data_dir)


def _static_dir() -> Path:
    return Path(str(resources.files("moonbase.server") / "static"))


def _plotly_js() -> Path | None:
    try:
        import plotly
    except ImportError:  # pragma: no cover
        return None
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


bearer = HTTPBearer(auto_error=False, description="a partner token: `Authorization: Bearer mb_...`")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The portal's FastAPI app: migrated database, job workers and routes, from ``settings``
    (default: SQLite under ``MOONBASE_DATA_DIR``, else ``moonbase-data``)."""
    settings = settings or Settings(
        data_dir=Path(os.environ.get("MOONBASE_DATA_DIR", "moonbase-data"))
    )
    url = settings.url()
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    registry = settings.registry or default_registry()
    runner = JobRunner(url, sessions, registry, workers=settings.workers, terrain=settings.terrain)
    throttle = AuthThrottle(settings.auth_failures, settings.auth_window_s)
    known = TokenCache()
    summaries = SummaryCache()
    state: dict[str, Any] = {"revision": ""}

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        state["revision"] = migrate(engine)
        if settings.start_jobs:
            runner.start()
        try:
            yield
        finally:
            runner.shutdown()
            engine.dispose()

    app = FastAPI(
        title="moonbase partner portal",
        version=__version__,
        description=(
            "Scenarios, campaign plans, simulation results, experiment requests and data "
            "products of the lunar research station, scoped by partner. Long jobs (optimise, "
            "simulate, schedule) run in worker processes."
        ),
        lifespan=lifespan,
        responses={code: {"model": s.ErrorOut, "description": why} for code, why in ERRORS.items()},
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(ErrorMiddleware)
    app.state.sessions = sessions
    app.state.runner = runner
    app.state.settings = settings
    app.state.throttle = throttle
    app.state.tokens = known

    # ---- errors: always JSON, always a 4xx for the caller's mistakes --------------------------
    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError):
        details = []
        for error in exc.errors():
            item = {k: error[k] for k in ("loc", "msg", "type") if k in error}
            item["loc"] = [str(p) for p in item.get("loc", ())]
            details.append(item)
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        message = f"{'.'.join(first['loc'][1:]) or 'body'}: {first['msg']}"
        return JSONResponse(status_code=422, content={"message": message, "detail": details})

    def _allowed(request: Request) -> str:
        """Every method of every route at the request's path (each route has one method)."""
        from starlette.routing import Match

        methods: set[str] = set()
        for route in app.routes:
            match, _ = route.matches(request.scope)
            if match != Match.NONE:
                methods.update(getattr(route, "methods", None) or ())
        return ", ".join(sorted(methods))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed(request)}
        detail = exc.detail
        if isinstance(detail, list) and detail:
            first = detail[0]
            message = f"{'.'.join(str(p) for p in first.get('loc', [])[1:])}: {first.get('msg')}"
        else:
            message = str(detail)
            if exc.status_code == 400 and message == "There was an error parsing the body":
                message = "the request body is not valid JSON (or it is nested too deeply)"
            detail = [{"loc": [], "msg": message, "type": f"http_{exc.status_code}"}]
        return JSONResponse(
            status_code=exc.status_code,
            content={"message": message, "detail": detail},
            headers=headers,
        )

    @app.exception_handler(InputError)
    async def _input(_request: Request, exc: InputError):
        return JSONResponse(
            status_code=422,
            content={
                "message": exc.one_line(),
                "detail": [
                    {
                        "loc": ["body", exc.field or ""],
                        "msg": exc.message,
                        "hint": exc.hint,
                        "type": "value_error",
                    }
                ],
            },
        )

    @app.exception_handler(RecursionError)
    async def _deep(_request: Request, _exc: RecursionError):
        return JSONResponse(
            status_code=400,
            content={
                "message": "JSON nested too deeply",
                "detail": [{"loc": ["body"], "msg": "nested too deeply", "type": "too_deep"}],
            },
        )

    @app.exception_handler(OperationalError)
    async def _busy(_request: Request, exc: OperationalError):  # pragma: no cover - load only
        message = "the database is busy or unreachable; retry shortly"
        return JSONResponse(
            status_code=503,
            content={
                "message": message,
                "detail": [{"loc": [], "msg": str(exc.orig)[:300], "type": "unavailable"}],
            },
            headers={"Retry-After": "1"},
        )

    # ---- dependencies -----------------------------------------------------------------------
    PathId = Annotated[int, PathParam(ge=1, le=s.MAX_ID)]

    async def db() -> AsyncIterator[Session]:
        # Made and closed on the event loop (no I/O until the endpoint's thread uses it): one
        # thread hop per request, the endpoint's, instead of three.
        session = sessions()
        try:
            yield session
        finally:
            session.close()

    DB = Annotated[Session, Depends(db)]

    def _lookup(token: str) -> tuple[Principal, datetime] | None:
        with sessions() as session:
            row = lookup_token(session, token)
            if row is None:
                return None
            who = Principal(token_id=row.id, partner_id=row.partner_id, role=row.role)
            return who, _as_utc(row.expires_at)

    async def principal(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        address = request.client.host if request.client else "unknown"
        wait_s = throttle.retry_after(address)
        if wait_s:
            raise HTTPException(
                429,
                f"too many wrong tokens from {address}; retry in {wait_s} s",
                headers={"Retry-After": str(wait_s)},
            )
        if credentials is None or not credentials.credentials:
            raise HTTPException(
                401,
                "missing token: send 'Authorization: Bearer <token>' (ask your partner admin for one)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        token = credentials.credentials
        found = known.get(token)
        if found is None:
            found = await run_in_threadpool(_lookup, token)
            if found is not None:
                known.put(token, found)
        if found is None or found[1] <= datetime.now(UTC):
            throttle.failed(address)
            raise HTTPException(
                401,
                "unknown, revoked or expired token (ask your partner admin for a new one)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return found[0]

    Who = Annotated[Principal, Depends(principal)]

    def planner(who: Who) -> Principal:
        if not who.is_planner:
            raise HTTPException(403, "this needs the station_planner role")
        return who

    def admin(who: Who) -> Principal:
        if not who.is_admin:
            raise HTTPException(403, "this needs the partner_admin or station_planner role")
        return who

    Planner = Annotated[Principal, Depends(planner)]
    Admin = Annotated[Principal, Depends(admin)]

    def not_found(what: str, ident: Any) -> HTTPException:
        return HTTPException(404, f"{what} {ident} not found (or not visible to your partner)")

    def listed(session: Session, query, out: type[BaseModel], response: Response) -> list:
        """The rows of ``query`` as ``out`` models. A row that cannot be read back (corrupt
        stored data) is left out and named in the ``X-Unreadable-Rows`` header (and the log),
        so one bad row does not hide the others."""
        model = query.column_descriptions[0]["entity"]
        try:
            rows = list(session.scalars(query))
            bad: list[int] = []
        except OperationalError:
            raise
        except Exception:
            session.rollback()
            rows, bad = [], []
            for ident in session.scalars(query.with_only_columns(model.id)):
                try:
                    rows.append(session.scalars(select(model).where(model.id == ident)).one())
                except OperationalError:
                    raise
                except Exception:
                    session.rollback()
                    bad.append(ident)
        items = []
        for row in rows:
            try:
                items.append(out.model_validate(row, from_attributes=True))
            except ValidationError:
                bad.append(row.id)
        if bad:
            table = model.__tablename__
            log.error("unreadable rows in %s: %s", table, bad)
            response.headers["X-Unreadable-Rows"] = f"{table} " + ",".join(map(str, sorted(bad)))
        return items

    # ---- health, me, partners, tokens -------------------------------------------------------
    @app.get("/api/health", response_model=s.Health, tags=["meta"])
    def health(session: DB) -> s.Health:
        session.execute(select(1))
        kinds = {
            kind: "library" if target == LIBRARY_TARGETS.get(kind) else target
            for kind, target in registry.items()
        }
        return s.Health(
            status="ok", database=engine.dialect.name, revision=state["revision"], jobs=kinds
        )

    @app.get("/api/me", response_model=s.Me, tags=["meta"])
    def me(who: Who, session: DB) -> s.Me:
        partner = session.get(Partner, who.partner_id)
        token = session.get(Token, who.token_id)
        return s.Me(
            partner_id=who.partner_id,
            partner_name=partner.name,
            role=who.role,
            token_prefix=token.prefix,
        )

    @app.get("/api/partners", response_model=list[s.PartnerOut], tags=["partners"])
    def list_partners(_who: Who, session: DB, response: Response):
        return listed(session, select(Partner).order_by(Partner.id), s.PartnerOut, response)

    @app.put("/api/partners/{partner_id}", response_model=s.PartnerOut, tags=["partners"])
    def put_partner(
        partner_id: Annotated[str, PathParam(max_length=40)],
        body: s.PartnerIn,
        _who: Planner,
        session: DB,
    ):
        if body.id != partner_id:
            raise HTTPException(422, f"body id {body.id!r} differs from the path's {partner_id!r}")
        partner = ensure_partner(session, body.id, name=body.name, entitlement=body.entitlement)
        session.commit()
        return partner

    def _token_out(row: Token) -> dict:
        return {k: getattr(row, k) for k in s.TokenOut.model_fields}

    @app.get("/api/tokens", response_model=list[s.TokenOut], tags=["tokens"])
    def list_tokens(who: Admin, session: DB, response: Response):
        """Tokens (revoked and expired ones too, with when and by whom they were revoked):
        a partner admin's own partner's, every partner's for a station planner."""
        query = select(Token).order_by(Token.id)
        if not who.is_planner:
            query = query.where(Token.partner_id == who.partner_id)
        return listed(session, query, s.TokenOut, response)

    @app.post("/api/tokens", response_model=s.TokenCreated, status_code=201, tags=["tokens"])
    def post_token(body: s.TokenIn, who: Admin, session: DB):
        partner_id = body.partner_id or who.partner_id
        if not who.is_planner and partner_id != who.partner_id:
            raise HTTPException(403, "partner admins create tokens for their own partner only")
        if not may_manage_token(who, partner_id, body.role):
            raise HTTPException(403, f"a {who.role} cannot create {body.role} tokens")
        if who.is_planner and session.get(Partner, partner_id) is None:
            raise not_found("partner", partner_id)
        row, token = issue_token(
            session, partner_id, body.role, label=body.label, expires_in_days=body.expires_in_days
        )
        session.commit()
        return {**_token_out(row), "token": token}

    @app.delete("/api/tokens/{token_id}", response_model=s.TokenOut, tags=["tokens"])
    def revoke_token(token_id: PathId, who: Admin, session: DB):
        row = session.get(Token, token_id)
        if row is None or (not who.is_planner and row.partner_id != who.partner_id):
            raise not_found("token", token_id)
        if not may_manage_token(who, row.partner_id, row.role):
            raise HTTPException(403, f"a {who.role} cannot revoke {row.role} tokens")
        if row.revoked:
            raise HTTPException(409, f"token {token_id} was already revoked")
        row.revoked, row.revoked_at, row.revoked_by = True, utcnow(), who.token_id
        session.commit()
        known.drop(row.id)  # the revocation bites at once
        return _token_out(row)

    @app.get("/api/token-policy", response_model=s.TokenPolicyOut, tags=["tokens"])
    def get_token_policy(_who: Admin, session: DB):
        default_days, max_days = token_policy(session)
        return s.TokenPolicyOut(default_days=default_days, max_days=max_days)

    @app.put("/api/token-policy", response_model=s.TokenPolicyOut, tags=["tokens"])
    def put_token_policy(body: s.TokenPolicyIn, _who: Planner, session: DB):
        """Set the lifetime of new tokens (default and maximum, days); tokens already issued
        keep theirs."""
        set_token_policy(session, body.default_days, body.max_days)
        session.commit()
        return s.TokenPolicyOut(default_days=body.default_days, max_days=body.max_days)

    # ---- scenarios ---------------------------------------------------------------------------
    @app.get("/api/scenarios", response_model=list[s.ScenarioSummary], tags=["scenarios"])
    def list_scenarios(_who: Who, session: DB, response: Response):
        """Every scenario: the station's, readable by every partner."""
        query = select(ScenarioRecord).order_by(ScenarioRecord.id)
        return listed(session, query, s.ScenarioSummary, response)

    @app.get("/api/scenarios/{scenario_id}", response_model=s.ScenarioOut, tags=["scenarios"])
    def get_scenario(scenario_id: PathId, _who: Who, session: DB):
        row = session.get(ScenarioRecord, scenario_id)
        if row is None:
            raise not_found("scenario", scenario_id)
        return row

    @app.post("/api/scenarios", response_model=s.ScenarioOut, status_code=201, tags=["scenarios"])
    def post_scenario(body: s.ScenarioIn, who: Planner, session: DB):
        _check_scenario(body.body)
        row = ScenarioRecord(partner_id=who.partner_id, name=body.name, body=body.body)
        session.add(row)
        session.commit()
        return row

    # ---- jobs --------------------------------------------------------------------------------
    def _visible_job(session: Session, who: Principal, job_id: int) -> Job:
        job = session.get(Job, job_id)
        if job is None or (not who.is_planner and job.partner_id != who.partner_id):
            raise not_found("job", job_id)
        return job

    @app.post("/api/jobs", response_model=s.JobOut, status_code=202, tags=["jobs"])
    def post_job(body: s.JobIn, who: Planner, session: DB):
        if body.scenario_id is not None and session.get(ScenarioRecord, body.scenario_id) is None:
            raise not_found("scenario", body.scenario_id)
        job = Job(
            partner_id=who.partner_id,
            kind=body.kind,
            scenario_id=body.scenario_id,
            params=body.params,
            status="queued",
            progress=0.0,
            message="queued",
            cancel_requested=False,
            attempts=0,
        )
        session.add(job)
        session.commit()
        if settings.start_jobs:
            runner.submit(job.id)
        return job

    @app.get("/api/jobs", response_model=list[s.JobOut], tags=["jobs"])
    def list_jobs(
        who: Who,
        session: DB,
        response: Response,
        status: s.JobStatus | None = None,
        limit: int = Query(100, ge=1, le=1000),
    ):
        query = select(Job).order_by(Job.id.desc()).limit(limit)
        if not who.is_planner:
            query = query.where(Job.partner_id == who.partner_id)
        if status:
            query = query.where(Job.status == status)
        return listed(session, query, s.JobOut, response)

    @app.get("/api/jobs/{job_id}", response_model=s.JobOut, tags=["jobs"])
    def get_job(job_id: PathId, who: Who, session: DB):
        return _visible_job(session, who, job_id)

    @app.post("/api/jobs/{job_id}/cancel", response_model=s.JobOut, tags=["jobs"])
    def cancel_job(job_id: PathId, who: Planner, session: DB):
        job = _visible_job(session, who, job_id)
        if job.status in ("done", "failed", "cancelled"):
            raise HTTPException(409, f"job {job_id} has already finished ({job.status})")
        job.cancel_requested = True
        if job.status == "queued":
            job.status, job.message = "cancelled", "cancelled before it started"
        job.updated_at = utcnow()
        session.commit()
        return job

    # ---- results: plans, simulations, schedules ---------------------------------------------
    def _results(kind: str, session: Session, response: Response) -> Response:
        """The newest 200 results of ``kind`` as summaries. Results never change once stored,
        so each one's summary is serialized once and kept (by id); a listing reads only ids."""
        query = select(Result.id).where(Result.kind == kind).order_by(Result.id.desc()).limit(200)
        ids = list(session.scalars(query))
        missing = [i for i in ids if summaries.get(i) is None]
        bad: list[int] = []
        if missing:
            try:
                rows = list(session.scalars(select(Result).where(Result.id.in_(missing))))
            except OperationalError:
                raise
            except Exception:  # a row that cannot be read back: find which, keep the others
                session.rollback()
                full = select(Result).where(Result.id.in_(missing)).order_by(Result.id.desc())
                rows = listed(session, full, s.ResultSummary, response)
            for row in rows:
                try:
                    out = s.ResultSummary.model_validate(row, from_attributes=True)
                except ValidationError:
                    bad.append(row.id)
                    continue
                summaries.put(row.id, out.model_dump_json().encode())
        parts = [part for part in (summaries.get(i) for i in ids) if part is not None]
        headers = dict(response.headers)
        if bad:
            log.error("unreadable rows in results: %s", bad)
            headers["X-Unreadable-Rows"] = "results " + ",".join(map(str, sorted(bad)))
        return Response(
            b"[" + b",".join(parts) + b"]", media_type="application/json", headers=headers
        )

    def _result(kind: str, result_id: int, session: Session) -> Result:
        row = session.get(Result, result_id)
        if row is None or row.kind != kind:
            raise not_found(kind, result_id)
        return row

    @app.get("/api/plans", response_model=list[s.ResultSummary], tags=["results"])
    def list_plans(_who: Who, session: DB, response: Response):
        """The station's plans: readable by every partner."""
        return _results("plan", session, response)

    @app.get("/api/plans/{plan_id}", response_model=s.ResultOut, tags=["results"])
    def get_plan(plan_id: PathId, _who: Who, session: DB):
        return _result("plan", plan_id, session)

    @app.get("/api/simulations", response_model=list[s.ResultSummary], tags=["results"])
    def list_simulations(_who: Who, session: DB, response: Response):
        """The station's simulations: readable by every partner."""
        return _results("simulation", session, response)

    @app.get("/api/simulations/{simulation_id}", response_model=s.ResultOut, tags=["results"])
    def get_simulation(simulation_id: PathId, _who: Who, session: DB):
        return _result("simulation", simulation_id, session)

    @app.get("/api/schedules", response_model=list[s.ResultSummary], tags=["results"])
    def list_schedules(_who: Who, session: DB, response: Response):
        return _results("schedule", session, response)

    @app.get("/api/schedules/{schedule_id}", response_model=s.ResultOut, tags=["results"])
    def get_schedule(schedule_id: PathId, who: Who, session: DB):
        row = _result("schedule", schedule_id, session)
        if who.is_planner:
            return row
        own = set(
            session.scalars(
                select(ExperimentRequest.id).where(ExperimentRequest.partner_id == who.partner_id)
            )
        )
        starts = {k: v for k, v in (row.body.get("starts") or {}).items() if int(k) in own}
        rejected = {k: v for k, v in (row.body.get("rejections") or {}).items() if int(k) in own}
        # The library's full schedule and problem name every partner's requests: planners only.
        body = {k: v for k, v in row.body.items() if k not in ("schedule", "problem")}
        out = s.ResultOut.model_validate(row, from_attributes=True)
        return out.model_copy(update={"body": {**body, "starts": starts, "rejections": rejected}})

    @app.get("/api/shares", response_model=list[s.ShareOut], tags=["results"])
    def shares(_who: Who, session: DB):
        hours = dict(
            session.execute(
                select(ExperimentRequest.partner_id, func.sum(ExperimentRequest.duration_h))
                .where(ExperimentRequest.status == "scheduled")
                .group_by(ExperimentRequest.partner_id)
            ).all()
        )
        total = sum(hours.values()) or 0.0
        return [
            s.ShareOut(
                partner_id=p.id,
                name=p.name,
                entitlement=p.entitlement,
                scheduled_h=float(hours.get(p.id, 0.0)),
                share=float(hours.get(p.id, 0.0)) / total if total else 0.0,
            )
            for p in session.scalars(select(Partner).order_by(Partner.id))
        ]

    # ---- experiment requests -----------------------------------------------------------------
    def _visible_request(session: Session, who: Principal, request_id: int) -> ExperimentRequest:
        row = session.get(ExperimentRequest, request_id)
        if row is None or (not who.is_planner and row.partner_id != who.partner_id):
            raise not_found("request", request_id)
        return row

    def _may_change(who: Principal, row: ExperimentRequest) -> None:
        if who.role == "member" and row.created_by != who.token_id:
            raise HTTPException(
                403, "members change only their own requests; ask your partner admin"
            )
        if who.is_planner and row.partner_id != who.partner_id:
            raise HTTPException(403, "station planners schedule requests but do not edit them")
        if row.status == "withdrawn":
            raise HTTPException(409, f"request {row.id} was withdrawn")

    def _validate(values: dict) -> list[dict]:
        errors, warnings = check_request(values, settings.limits)
        if errors:
            raise HTTPException(422, detail=errors)
        return warnings

    @app.get("/api/requests", response_model=list[s.RequestOut], tags=["requests"])
    def list_requests(
        who: Who,
        session: DB,
        response: Response,
        status: s.RequestStatus | None = None,
        partner: s.PartnerId | None = None,
        limit: int = Query(500, ge=1, le=5000),
        offset: int = Query(0, ge=0, le=s.MAX_OFFSET),
    ):
        query = select(ExperimentRequest).order_by(ExperimentRequest.id).offset(offset).limit(limit)
        if not who.is_planner:
            if partner not in (None, who.partner_id):
                raise HTTPException(403, "you can list only your own partner's requests")
            query = query.where(ExperimentRequest.partner_id == who.partner_id)
        elif partner:
            query = query.where(ExperimentRequest.partner_id == partner)
        if status:
            query = query.where(ExperimentRequest.status == status)
        return listed(session, query, s.RequestOut, response)

    @app.post("/api/requests", response_model=s.RequestOut, status_code=201, tags=["requests"])
    def post_request(body: s.RequestIn, who: Who, session: DB):
        values = body.model_dump()
        warnings = _validate(values)
        row = ExperimentRequest(
            partner_id=who.partner_id,
            status="validated",
            messages=warnings,
            created_by=who.token_id,
            **values,
        )
        session.add(row)
        session.commit()
        return row

    @app.get("/api/requests/{request_id}", response_model=s.RequestOut, tags=["requests"])
    def get_request(request_id: PathId, who: Who, session: DB):
        return _visible_request(session, who, request_id)

    @app.patch("/api/requests/{request_id}", response_model=s.RequestOut, tags=["requests"])
    def patch_request(request_id: PathId, body: s.RequestPatch, who: Who, session: DB):
        row = _visible_request(session, who, request_id)
        _may_change(who, row)
        current = {k: getattr(row, k) for k in s.RequestIn.model_fields}
        changes = {
            k: v
            for k, v in body.model_dump(exclude_unset=True, exclude_none=True).items()
            if v != current[k]
        }
        if not changes:  # nothing changes: the request keeps its status and schedule
            return row
        values = current | changes
        row.messages = _validate(values)
        for key, value in changes.items():
            setattr(row, key, value)
        row.status, row.scheduled_start, row.updated_at = "validated", None, utcnow()
        session.commit()
        return row

    @app.delete("/api/requests/{request_id}", response_model=s.RequestOut, tags=["requests"])
    def withdraw_request(request_id: PathId, who: Who, session: DB):
        row = _visible_request(session, who, request_id)
        _may_change(who, row)
        row.status, row.scheduled_start, row.updated_at = "withdrawn", None, utcnow()
        session.commit()
        return row

    # ---- data products -----------------------------------------------------------------------
    def _product_out(row: DataProduct, today: date) -> s.ProductOut:
        return s.ProductOut(
            **{k: getattr(row, k) for k in s.ProductOut.model_fields if k != "embargoed"},
            embargoed=is_embargoed(row.embargo_until, today),
        )

    def _visible_product(session: Session, who: Principal, product_id: int) -> DataProduct:
        row = session.get(DataProduct, product_id)
        today = settings.today()
        if row is None or not can_see_product(
            who, row.partner_id, row.access, row.embargo_until, today
        ):
            raise not_found("data product", product_id)
        return row

    class _ProductRow(BaseModel):  # a product row as listed: metadata without the content
        model_config = {"from_attributes": True}
        id: int
        partner_id: str
        request_id: int | None
        name: str
        media_type: str
        access: str
        embargo_until: date | None
        size_bytes: int
        created_at: s.Utc

    @app.get("/api/products", response_model=list[s.ProductOut], tags=["products"])
    def list_products(who: Who, session: DB, response: Response):
        today = settings.today()
        query = select(DataProduct).order_by(DataProduct.id)
        released = (DataProduct.access == "consortium") & (
            DataProduct.embargo_until.is_(None) | (DataProduct.embargo_until < today)
        )
        query = query.where((DataProduct.partner_id == who.partner_id) | released)
        rows = listed(session, query, _ProductRow, response)
        return [
            s.ProductOut(**r.model_dump(), embargoed=is_embargoed(r.embargo_until, today))
            for r in rows
        ]

    @app.post("/api/products", response_model=s.ProductOut, status_code=201, tags=["products"])
    def post_product(body: s.ProductIn, who: Admin, session: DB):
        partner_id = body.partner_id or who.partner_id
        if partner_id != who.partner_id and not who.is_planner:
            raise HTTPException(403, "partner admins add products for their own partner only")
        if session.get(Partner, partner_id) is None:
            raise not_found("partner", partner_id)
        if body.request_id is not None:
            request = session.get(ExperimentRequest, body.request_id)
            if request is None or request.partner_id != partner_id:
                raise not_found("request", body.request_id)
        values = body.model_dump(exclude={"partner_id"})
        row = DataProduct(
            partner_id=partner_id, size_bytes=len(body.content.encode("utf-8")), **values
        )
        session.add(row)
        session.commit()
        return _product_out(row, settings.today())

    @app.get("/api/products/{product_id}", response_model=s.ProductOut, tags=["products"])
    def get_product(product_id: PathId, who: Who, session: DB):
        return _product_out(_visible_product(session, who, product_id), settings.today())

    @app.get(
        "/api/products/{product_id}/content",
        tags=["products"],
        responses={200: {"content": {"*/*": {}}, "description": "the content, a download"}},
    )
    def get_product_content(product_id: PathId, who: Who, session: DB) -> Response:
        """The product's content as a download (an attachment, never rendered by a browser)."""
        row = _visible_product(session, who, product_id)
        return Response(
            row.content,
            media_type=row.media_type,
            headers={
                "Content-Disposition": _attachment(row.name, product_id),
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox; default-src 'none'",
            },
        )

    # ---- dashboard ---------------------------------------------------------------------------
    plotly_js = _plotly_js()

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_bundle():
        if plotly_js is None:  # pragma: no cover
            raise HTTPException(404, "plotly is not installed")
        return FileResponse(plotly_js, media_type="text/javascript")

    app.mount("/static", StaticFiles(directory=_static_dir()), name="static")

    @app.get("/", include_in_schema=False)
    def index():
        return RedirectResponse("/static/index.html")

    return app


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _attachment(name: str, product_id: int) -> str:
    """``Content-Disposition`` of a download named ``name``: an ASCII fallback and RFC 5987's
    UTF-8 form."""
    from urllib.parse import quote

    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name)
    plain = plain.strip() or f"product-{product_id}"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def _check_scenario(body: dict) -> None:
    """Validate a scenario document with the library's models and cross-part checks.

    Raises 422 listing every problem (field path, message, hint). Without the scenario package
    only the document's size and nesting are checked (by the request schema).
    """
    try:
        from moonbase.scenario import Scenario, check_scenario
    except ImportError:  # pragma: no cover - the scenario stage is part of moonbase
        return
    import json

    from pydantic import ValidationError

    try:
        scenario = Scenario.model_validate_json(json.dumps(body))
    except ValidationError as error:
        details = [
            {
                "loc": ["body", "body." + ".".join(str(p) for p in e["loc"])],
                "msg": e["msg"],
                "type": e["type"],
            }
            for e in error.errors(include_url=False)[:50]
        ]
        raise HTTPException(422, detail=details) from None
    problems = check_scenario(scenario)
    if problems:
        details = [
            {
                "loc": ["body", f"body.{p.field}"],
                "msg": p.message,
                "hint": p.hint,
                "type": "value_error",
            }
            for p in problems[:50]
        ]
        raise HTTPException(422, detail=details)
