"""Run a study: each variant's whole plan as a Dask task, the site stage once per distinct site.

:func:`run_study` maps :func:`moonbase.plan` over the study's variants. The site stage is shared:
variants whose site stage has the same inputs (terrain, site, span, parameters: the key of
:mod:`moonbase.study.cache`) depend on one site task, which reads the disk cache or computes and
stores the result; each variant's plan task then uses it through ``plan(..., site_chooser=)``.
Each plan task writes the variant's own report (:func:`moonbase.pipeline.write_plan`) under
``out/variants/<name>/`` and returns its figures (:mod:`moonbase.study.figures`).

Every variant is planned with the study's seed (common random numbers: the variants see the same
launch failures and slips, so their differences are the design's), in one process, so the results
do not depend on how many workers run them or in what order. ``workers=0`` runs everything in this
process, without Dask; otherwise a ``LocalCluster`` of ``workers`` processes, or the scheduler at
``scheduler`` (its workers must see ``out`` and the cache folder: a shared file system).
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from moonbase.errors import InputError
from moonbase.study.cache import SiteCache, SiteChooser, site_key, terrain_hash, without_terrain
from moonbase.study.load import Study, VariantSpec

__all__ = [
    "SiteJob",
    "StudyResult",
    "TerrainSpec",
    "VariantJob",
    "VariantOutcome",
    "build_terrain",
    "run_study",
    "run_variant",
    "site_stage",
]

#: Seconds to wait for a Dask scheduler before saying it cannot be reached.
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class TerrainSpec:
    """Which terrain the site stage stands on: ``"packaged"``, ``"synthetic"`` or a DEM file."""

    kind: str
    path: str | None = None
    far_field: bool = True

    @classmethod
    def of(cls, options, folder: Path) -> TerrainSpec:
        if options.terrain in ("packaged", "synthetic"):
            return cls(options.terrain, None, options.far_field)
        path = Path(options.terrain)
        path = path if path.is_absolute() else Path(folder) / path
        if not path.exists():
            raise InputError(
                f"DEM {str(path)!r} does not exist",
                field="options.terrain",
                hint='give "packaged", "synthetic" or the path of a DEM file',
            )
        return cls("dem", str(path.resolve()), options.far_field)


@lru_cache(maxsize=4)
def build_terrain(spec: TerrainSpec):
    """The :class:`~moonbase.site.stage.SiteTerrain` of ``spec`` (built once per process)."""
    from moonbase.site.stage import site_terrain

    if spec.kind == "synthetic":
        return site_terrain(synthetic=True)
    return site_terrain(spec.path, far_field=spec.far_field)


@dataclass(frozen=True)
class SiteJob:
    """One site stage: the inputs of :func:`~moonbase.site.stage.choose_site` and their key."""

    key: str
    terrain: TerrainSpec
    site: object
    start: date
    stop: date
    search_radius_km: float
    survey_days: int
    n_azimuths: int
    cache: str | None


@dataclass(frozen=True)
class SiteOutcome:
    key: str
    choice: object  # SiteChoice without its terrain
    hit: bool
    wall_s: float


def site_stage(job: SiteJob) -> SiteOutcome:
    """Run (or read from the cache) one site stage; the result travels without its terrain."""
    began = time.perf_counter()
    chooser = SiteChooser(
        SiteCache(None if job.cache is None else Path(job.cache)),
        survey_days=job.survey_days,
        n_azimuths=job.n_azimuths,
    )
    choice = chooser(
        job.site,
        build_terrain(job.terrain),
        start=job.start,
        stop=job.stop,
        search_radius_km=job.search_radius_km,
    )
    return SiteOutcome(
        job.key, without_terrain(choice), chooser.hits > 0, time.perf_counter() - began
    )


@dataclass(frozen=True)
class VariantJob:
    """Everything one variant's plan task needs."""

    name: str
    scenario: object
    as_of: date
    seed: int
    options: dict
    terrain: TerrainSpec
    survey_days: int
    n_azimuths: int
    cache: str | None
    out: str


@dataclass(frozen=True)
class VariantOutcome:
    """One variant's result: its figures and partners' figures, or why it failed.

    ``stage`` says where a failure happened: ``"study file"`` (the variant's definition) or
    ``"plan"`` (the plan could not be made); ``report`` is the variant's report, relative to the
    study's folder.
    """

    name: str
    kind: str
    ok: bool
    failure: str | None = None
    stage: str | None = None
    figures: dict = field(default_factory=dict)
    partners: dict = field(default_factory=dict)
    report: str | None = None
    notes: tuple[str, ...] = ()
    description: str = ""
    runtime_s: float = 0.0
    site_hits: int = 0
    site_computed: int = 0


def run_variant(job: VariantJob, site: SiteOutcome | None) -> dict:
    """Plan one variant and write its report (a Dask task); returns its outcome's fields."""
    from moonbase.pipeline import write_plan
    from moonbase.spine import plan
    from moonbase.study.figures import partner_figures, variant_figures

    began = time.perf_counter()
    scenario = job.scenario
    chooser = SiteChooser(
        SiteCache(None if job.cache is None else Path(job.cache)),
        survey_days=job.survey_days,
        n_azimuths=job.n_azimuths,
    )
    if site is not None:
        chooser.known[site.key] = site.choice
    try:
        terrain = build_terrain(job.terrain) if scenario.site is not None else None
        made = plan(
            scenario,
            as_of=job.as_of,
            terrain=terrain,
            risk_workers=0,
            seed=job.seed,
            site_chooser=chooser,
            **job.options,
        )
        folder = Path(job.out) / "variants" / job.name
        write_plan(made, folder)
    except InputError as error:
        return _failed(job, error.one_line(), began, chooser)
    except Exception as error:  # a bug, not the user's: keep the other variants going
        where = traceback.extract_tb(error.__traceback__)[-1]
        text = (
            f"{type(error).__name__}: {error} (at {Path(where.filename).name}:{where.lineno}; "
            "a moonbase bug: please report it with the study file)"
        )
        return _failed(job, " ".join(text.split()), began, chooser)
    return {
        "name": job.name,
        "ok": True,
        "figures": variant_figures(made),
        "partners": partner_figures(made),
        "report": f"variants/{job.name}/report.html",
        "runtime_s": time.perf_counter() - began,
        "site_hits": chooser.hits,
        "site_computed": chooser.computed,
    }


def _failed(job: VariantJob, reason: str, began: float, chooser: SiteChooser) -> dict:
    return {
        "name": job.name,
        "ok": False,
        "failure": f"variant {job.name!r}: {reason}",
        "stage": "plan",
        "runtime_s": time.perf_counter() - began,
        "site_hits": chooser.hits,
        "site_computed": chooser.computed,
    }


@dataclass(frozen=True)
class StudyResult:
    """A study's outcomes, in the study's order, and how they were made."""

    study: Study
    outcomes: tuple[VariantOutcome, ...]
    out: Path
    workers: int
    scheduler: str | None
    cache: str | None
    wall_s: float
    site_stages: int  # distinct site stages (tasks) of the study
    site_computed: int  # of those, computed (not found in the cache)

    def outcome(self, name: str) -> VariantOutcome:
        return next(o for o in self.outcomes if o.name == name)

    @property
    def failed(self) -> tuple[VariantOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)


def run_study(
    study: Study,
    out: str | Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    client=None,
    cache: str | Path | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    connect_timeout_s: float | None = None,
) -> StudyResult:
    """Plan every variant of ``study`` and write each one's report under ``out/variants``.

    ``client`` (a ``distributed.Client``) wins over ``scheduler`` (an address), which wins over
    ``workers`` (a local cluster of that many processes; 0: in this process, without Dask).
    ``cache`` is the site stage's cache folder (None: no cache). ``progress(done, total, name)``
    is called as variants finish. Writing the comparison is :func:`moonbase.study.write_study`.
    """
    began = time.perf_counter()
    out = Path(out)
    options = study.options
    terrain = TerrainSpec.of(options, study.folder)
    cache_text = None if cache is None else str(Path(cache).resolve())
    plan_options = {
        "risk_runs": options.risk_runs,
        "campaign_time_limit_s": options.campaign_time_limit_s,
        "science_time_limit_s": options.science_time_limit_s,
        "replan_time_limit_s": options.replan_time_limit_s,
        "closure_iterations": options.closure_iterations,
    }
    site_jobs: dict[str, SiteJob] = {}
    jobs: list[tuple[VariantSpec, VariantJob | None, str | None]] = []
    for spec in study.variants:
        if spec.scenario is None:
            jobs.append((spec, None, None))
            continue
        job = VariantJob(
            spec.name,
            spec.scenario,
            study.as_of,
            study.seed,
            plan_options,
            terrain,
            options.survey_days,
            options.n_azimuths,
            cache_text,
            str(out.resolve()),
        )
        key = _site_job(spec.scenario, study, terrain, cache_text, site_jobs)
        jobs.append((spec, job, key))
    runnable = [(spec, job, key) for spec, job, key in jobs if job is not None]
    results: dict[str, dict] = {}
    sites: dict[str, SiteOutcome] = {}
    total = len(runnable)
    if client is None and scheduler is None and workers == 0:
        for key, site_job in site_jobs.items():
            outcome = _site_or_none(site_job)
            if outcome is not None:
                sites[key] = outcome
        for done, (spec, job, key) in enumerate(runnable, start=1):
            results[spec.name] = run_variant(job, sites.get(key))
            if progress:
                progress(done, total, spec.name)
        used = 0
    else:
        results, sites, used = _run_dask(
            runnable, site_jobs, workers, scheduler, client, progress, connect_timeout_s
        )
    outcomes = []
    for spec, job, _ in jobs:
        if job is None:
            outcomes.append(
                VariantOutcome(
                    spec.name,
                    spec.kind,
                    False,
                    failure=spec.failure,
                    stage="study file",
                    description=spec.description,
                )
            )
            continue
        data = results[spec.name]
        outcomes.append(
            VariantOutcome(kind=spec.kind, notes=spec.notes, description=spec.description, **data)
        )
    return StudyResult(
        study=study,
        outcomes=tuple(outcomes),
        out=out,
        workers=used,
        scheduler=scheduler,
        cache=cache_text,
        wall_s=time.perf_counter() - began,
        site_stages=len(site_jobs),
        site_computed=sum(1 for s in sites.values() if not s.hit),
    )


def _site_job(scenario, study, terrain, cache_text, site_jobs) -> str | None:
    """The key of the variant's site stage (adding its job once); None without a site."""
    if scenario.site is None:
        return None
    try:
        built = build_terrain(terrain)
    except InputError:
        return None
    stop = scenario.campaign.end
    key = site_key(
        terrain_hash(built),
        scenario.site,
        start=study.as_of,
        stop=stop,
        search_radius_km=scenario.site.search_radius_km,
        n_azimuths=study.options.n_azimuths,
        survey_days=study.options.survey_days,
    )
    if key not in site_jobs:
        site_jobs[key] = SiteJob(
            key,
            terrain,
            scenario.site,
            study.as_of,
            stop,
            scenario.site.search_radius_km,
            study.options.survey_days,
            study.options.n_azimuths,
            cache_text,
        )
    return key


def _site_or_none(job: SiteJob) -> SiteOutcome | None:
    """:func:`site_stage`, or None when its inputs are wrong (the variant's plan then says why)."""
    try:
        return site_stage(job)
    except InputError:
        return None


def _worker_threads(workers: int) -> dict[str, str]:
    """Environment of each local worker: its share of the cores for the compiled kernels.

    A plan's site stage runs numba's parallel loops on every core it sees; ``workers`` processes
    each doing so would ask for ``workers`` times the cores.
    """
    share = str(max(1, (os.cpu_count() or 1) // workers))
    return {"NUMBA_NUM_THREADS": share, "OMP_NUM_THREADS": share}


def _run_dask(runnable, site_jobs, workers, scheduler, client, progress, timeout_s):
    from distributed import as_completed

    from moonbase.parallel import dask_client

    own_cluster = own_client = None
    try:
        if client is None:
            own_client, own_cluster = dask_client(
                workers,
                scheduler,
                timeout_s=CONNECT_TIMEOUT_S if timeout_s is None else timeout_s,
                env=_worker_threads(max(1, workers)),
            )
            client = own_client
        used = len(client.scheduler_info().get("workers", {}))
        site_futures = {
            key: client.submit(_site_or_none, job, pure=False, key=f"site-{key[:16]}")
            for key, job in site_jobs.items()
        }
        futures = {
            client.submit(
                run_variant,
                job,
                site_futures.get(key),
                pure=False,
                key=f"plan-{spec.name}-{id(job):x}",
            ): spec.name
            for spec, job, key in runnable
        }
        results = {}
        for done, future in enumerate(as_completed(list(futures)), start=1):
            name = futures[future]
            results[name] = future.result()
            if progress:
                progress(done, len(futures), name)
        sites = {
            key: outcome
            for key, outcome in zip(
                site_futures, client.gather(list(site_futures.values())), strict=True
            )
            if outcome is not None
        }
        return results, sites, used
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
