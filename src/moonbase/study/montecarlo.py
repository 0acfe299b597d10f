"""The whole plan under risk: one Monte Carlo over campaign, systems and science, on Dask.

:func:`plan_risk` samples what could go wrong with a :class:`~moonbase.spine.Plan` and re-makes
the later stages on each sample, composing the stages' own models (which keep their own Monte
Carlos):

1. **Campaign**: launch failures (each launcher's Beta prior), programme slips, launch delays,
   stand-downs and re-flights, by the campaign's risk model
   (:func:`moonbase.campaign.risk.simulate_chunk`, its ``RiskConfig``) replaying the plan's
   flights; each sample gives every element's operating date, or none (lost, or grounded
   beyond the campaign window).
2. **Systems**: the twin (:func:`moonbase.systems.simulate.simulate_station`) of the station
   those elements make (:func:`moonbase.systems.adapters.station_from_scenario` on the
   sampled dates), with the plan's logistics manifests arriving with their flight's first
   site element (lost with it), the crew on board from their element's arrival
   (:func:`moonbase.systems.stage.crew_on_board`) and the relays from theirs
   (:func:`relay_table`), on the plan's light; component failures drawn from a seed of the
   sample.
3. **Science**: the partners' programme re-planned on that station's resources
   (:func:`moonbase.science.adapters.resources_from_systems` with each element's window from
   its sampled date, :func:`~moonbase.science.adapters.with_element_windows`) by the fair
   greedy (:func:`moonbase.science.greedy.greedy_starts` with ``fair=True``), toward the plan's
   fair shares (the partners' entitlements capped at their demand, as the science stage sets
   them). The fair greedy is one pass over the runs (about half a second for the reference's
   2,600 runs over 14 years of daily buckets) and is the science stage's own fair baseline;
   CP-SAT takes the stage's whole time limit, too slow to repeat per sample.

Each sample records, per partner and year, the utilisation of its runs that start in that year;
a partner's delivered share by year ``Y`` is its part of everyone's utilisation of the runs up
to the end of ``Y`` (:func:`moonbase.science.shares.shares_of`, the one share rule, counting runs
where they start as :func:`moonbase.science.solution.delivered_shares` does). Per sample also:
the basic model's completion (the campaign model's), the critical (priority-1) energy the
station could not serve and the science value of the schedule.

Chunks of samples get seeds from ``numpy.random.SeedSequence(seed).spawn(n_chunks)``; each
chunk's campaign draws come from its seed as the campaign's Monte Carlo draws them, its twins'
seeds from a child of it. The chunk size does not depend on the number of workers, so a seed
gives identical results on 0, 1 or many workers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from moonbase.campaign.risk import RiskConfig, RiskResult, RiskSpec, compile_plan, simulate_chunk
from moonbase.errors import InputError
from moonbase.parallel import chunk_sizes, map_chunks

__all__ = [
    "PlanRisk",
    "PlanRiskConfig",
    "PlanRiskSpec",
    "RelayTable",
    "compile_plan_risk",
    "operating_dates",
    "plan_risk",
    "relay_table",
    "simulate_plan_chunk",
]

#: Critical energy below this is rounding, not energy lost (kWh; as the plan's unmet needs).
CRITICAL_TOLERANCE_KWH = 1e-6

#: At most this many relays whose arrival a sample decides get a precomputed availability for
#: every set of them present (2**n tables); beyond it each sample propagates its own relays.
MAX_TABULATED_RELAYS = 4


class PlanRiskConfig(BaseModel):
    """What :func:`plan_risk` samples and how it reports.

    ``campaign``: the campaign's risk model (default: the one the plan's campaign Monte Carlo
    used). ``launch_failures=False`` makes every launch succeed (reliability 1: a Beta(1, b)
    prior with ``b`` the smallest positive float, whose draws are exactly 1);
    ``component_failures=False`` runs the twin without random failures;
    ``replan_science=False`` keeps the plan's own fair-greedy schedule on every sample instead
    of re-planning it (the science stage cut off from the sampled station). ``fractions``: the
    fractions of a partner's fair share asked about; a share short of ``fraction * fair share``
    by at most ``share_tolerance`` of it (1 %: whole runs cannot hit a share exactly) meets it.
    """

    model_config = ConfigDict(extra="forbid")

    campaign: RiskConfig | None = None
    launch_failures: bool = True
    component_failures: bool = True
    replan_science: bool = True
    fractions: tuple[float, ...] = (0.5, 0.8, 1.0)
    share_tolerance: float = Field(default=0.01, ge=0, lt=1)


@dataclass(frozen=True)
class RelayTable:
    """The twin's ``relay_available`` for every set of the plan's relays that a sample may have.

    ``ids``: the relays whose arrival a sample decides; ``fixed``: those there from the start in
    every sample; ``table[m]``: the availability at the station's cell with the relays of
    bitmask ``m`` and the fixed ones present from the start. ``table`` is None when there are
    more than :data:`MAX_TABULATED_RELAYS` of them; each sample then propagates its own
    (``orbits`` and ``site`` hold what it needs).
    """

    ids: tuple[str, ...]
    fixed: tuple[str, ...]
    table: np.ndarray | None
    orbits: dict = field(default_factory=dict)
    site: tuple = ()


@dataclass
class PlanRiskSpec:
    """The plan compiled for :func:`simulate_plan_chunk` (what a Dask worker receives)."""

    campaign: RiskSpec
    element_ids: tuple[str, ...]
    bucket_starts: tuple[date, ...]
    scenario: object
    drivers: object
    cargo: tuple[tuple[dict, tuple[str, ...]], ...]
    relays: RelayTable
    partners: tuple
    requests: tuple
    fair_share: np.ndarray  # (P,) the science stage's targets
    bucket_year: np.ndarray  # (B,) year index of each science bucket
    n_years: int
    nominal_usage: np.ndarray  # (P, Y) the plan's fair-greedy schedule
    nominal_value: float
    config: PlanRiskConfig


def operating_dates(element_ids, bucket_starts, ready_bucket: np.ndarray) -> dict[str, date | None]:
    """Element id -> first operating date of one sample (None: before the campaign window).

    ``ready_bucket`` ``(E,)`` as the campaign risk model gives it; elements that never operate
    (lost, grounded) or operate beyond the window are absent, as
    :func:`moonbase.systems.adapters.campaign_operating_dates` leaves out elements not flown.
    """
    out: dict[str, date | None] = {}
    n = len(bucket_starts)
    for element_id, bucket in zip(element_ids, ready_bucket, strict=True):
        if not np.isfinite(bucket):
            continue
        b = math.floor(bucket)
        if b < 0:
            out[element_id] = None
        elif b < n:
            out[element_id] = bucket_starts[b]
    return out


def _relay_when(element, dates: dict):
    """(present, from): a relay element's presence in a sample, as the systems stage reads it."""
    if element.id in dates:
        return True, dates[element.id]
    if element.state == "flown":
        return True, None
    return False, None


def relay_table(scenario, site, drivers, *, always: set[str], sampled: set[str]) -> RelayTable:
    """The relays' availability at ``site``'s cell for every set a sample may have present.

    Relays are the scenario's elements in orbit with a ``relay_orbit`` that have not failed, as
    :func:`moonbase.systems.stage.relay_available_at_site` takes them. ``always``: the ids of
    those present from the start in every sample (operating before the span); ``sampled``:
    the ids whose arrival a sample decides (the campaign's elements). Other relays never serve.
    """
    from moonbase.orbit.relays import relay_availability

    relays = [
        e
        for e in scenario.elements
        if e.location == "orbit" and e.state != "failed" and e.relay_orbit is not None
    ]
    fixed = tuple(e.id for e in relays if e.id in always)
    ids = tuple(e.id for e in relays if e.id in sampled and e.id not in always)
    orbits = {e.id: e.relay_orbit for e in relays}
    geometry = (
        site.latitude_deg,
        site.longitude_deg,
        site.ground_m + site.mast_height_m,
        np.ascontiguousarray(site.horizon_deg, dtype=float),
    )
    times = drivers.times_utc
    if len(ids) > MAX_TABULATED_RELAYS:
        return RelayTable(ids, fixed, None, orbits, geometry)
    table = np.zeros((2 ** len(ids), len(times)))
    for mask in range(2 ** len(ids)):
        chosen = [orbits[i] for i in fixed]
        chosen += [orbits[i] for k, i in enumerate(ids) if mask >> k & 1]
        if chosen:
            table[mask] = relay_availability(chosen, times, *geometry)
    return RelayTable(ids, fixed, table, orbits, geometry)


def _relay_available(spec: PlanRiskSpec, dates: dict) -> np.ndarray:
    relays, times = spec.relays, spec.drivers.times_utc
    by_id = {e.id: e for e in spec.scenario.elements}
    if relays.table is None:
        from moonbase.orbit.relays import relay_availability

        orbits = [relays.orbits[rid] for rid in relays.fixed]
        starts: list = [None] * len(orbits)
        for rid in relays.ids:
            present, when = _relay_when(by_id[rid], dates)
            if present:
                orbits.append(relays.orbits[rid])
                starts.append(when)
        if not orbits:
            return np.zeros(len(times))
        return relay_availability(orbits, times, *relays.site, available_from=starts)
    mask = np.zeros(len(times), dtype=np.int64)
    for k, rid in enumerate(relays.ids):
        present, when = _relay_when(by_id[rid], dates)
        if not present:
            continue
        on = np.ones(len(times), bool) if when is None else times >= pd.Timestamp(when)
        mask |= np.asarray(on, dtype=np.int64) << k
    return relays.table[mask, np.arange(len(times))]


def _cargo_components(spec: PlanRiskSpec, dates: dict) -> list[dict]:
    """The plan's manifests, each arriving with its flight's first site element (or lost)."""
    out = []
    for component, elements in spec.cargo:
        when = [dates[e] for e in elements if dates.get(e) is not None]
        if when:
            out.append({**component, "arrival_utc": pd.Timestamp(min(when)).isoformat()})
    return out


def sample_station(spec: PlanRiskSpec, dates: dict, seed: int):
    """The twin's :class:`~moonbase.systems.simulate.SimulationResult` for one sample (or None
    when no element of the station operates)."""
    from moonbase.systems.adapters import station_from_scenario
    from moonbase.systems.components import parse_station
    from moonbase.systems.drivers import Drivers
    from moonbase.systems.simulate import simulate_station
    from moonbase.systems.stage import crew_on_board

    station, _ = station_from_scenario(spec.scenario, dates)
    if station is None:
        return None
    cargo = _cargo_components(spec, dates)
    if cargo:
        data = station.model_dump()
        data["components"] += cargo
        station = parse_station(data)
    base = spec.drivers
    drivers = Drivers(
        times_utc=base.times_utc,
        sun_fraction=base.sun_fraction,
        sun_elevation_deg=base.sun_elevation_deg,
        sun_azimuth_deg=base.sun_azimuth_deg,
        earth_visible=base.earth_visible,
        relay_available=_relay_available(spec, dates),
        crew=crew_on_board(spec.scenario, dates, base.times_utc),
        sun_distance_au=base.sun_distance_au,
    )
    return simulate_station(
        station, drivers, failures=spec.config.component_failures, seed=int(seed)
    )


def sample_science(spec: PlanRiskSpec, simulation, dates: dict) -> tuple[np.ndarray, float]:
    """Utilisation ``(P, Y)`` by partner and year and the value of the fair greedy schedule
    re-planned on one sample's station."""
    from moonbase.science.adapters import resources_from_systems, with_element_windows
    from moonbase.science.greedy import greedy_starts
    from moonbase.science.instance import build_instance
    from moonbase.science.models import SchedulingProblem

    usage = np.zeros((len(spec.partners), spec.n_years))
    if simulation is None or not spec.requests:
        return usage, 0.0
    resources = with_element_windows(resources_from_systems(simulation), spec.scenario, dates)
    problem = SchedulingProblem(partners=spec.partners, requests=spec.requests, resources=resources)
    instance = replace(build_instance(problem), entitlement=spec.fair_share)
    starts = greedy_starts(instance, fair=True)
    placed = starts >= 0
    np.add.at(
        usage,
        (instance.job_partner[placed], spec.bucket_year[starts[placed]]),
        instance.utilisation[placed],
    )
    return usage, float(instance.weight[placed].sum()) / 100.0


def _sample(spec: PlanRiskSpec, dates: dict, seed: int) -> tuple[float, np.ndarray, float]:
    simulation = sample_station(spec, dates, seed)
    critical = 0.0 if simulation is None else simulation.kpis["critical_energy_not_served_kwh"]
    if spec.config.replan_science:
        usage, value = sample_science(spec, simulation, dates)
    else:
        usage, value = spec.nominal_usage, spec.nominal_value
    return float(critical), usage, value


def _twin_seeds(seed: np.random.SeedSequence, n_runs: int) -> np.ndarray:
    """The twins' seeds of a chunk: from a child of the chunk's seed (its first spawn)."""
    child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, 0))
    return np.random.default_rng(child).integers(0, 2**31 - 1, n_runs)


def simulate_plan_chunk(spec: PlanRiskSpec, seed: np.random.SeedSequence, n_runs: int) -> dict:
    """Simulate ``n_runs`` samples of the whole plan; arrays over samples.

    The campaign part is :func:`moonbase.campaign.risk.simulate_chunk` on ``seed`` (the same
    draws as the campaign's Monte Carlo for a chunk of this seed and size). Samples with the
    same operating dates (and, with component failures, the same twin seed) are simulated
    once.
    """
    campaign = simulate_chunk(spec.campaign, seed, n_runs, arrivals=True)
    seeds = _twin_seeds(seed, n_runs)
    failures = spec.config.component_failures
    critical = np.zeros(n_runs)
    value = np.zeros(n_runs)
    usage = np.zeros((n_runs, len(spec.partners), spec.n_years))
    done: dict = {}
    for i in range(n_runs):
        dates = operating_dates(spec.element_ids, spec.bucket_starts, campaign["ready_bucket"][i])
        key = (tuple(sorted(dates.items())), int(seeds[i]) if failures else None)
        if key not in done:
            done[key] = _sample(spec, dates, int(seeds[i]))
        critical[i], usage[i], value[i] = done[key]
    campaign.pop("ready_bucket")
    return {
        **campaign,
        "critical_energy_not_served_kwh": critical,
        "science_value": value,
        "usage": usage,
    }


def _bucket_years(instance) -> tuple[np.ndarray, np.ndarray]:
    """Year index of each science bucket (by its start) and the years."""
    starts = pd.date_range(
        instance.problem.resources.start_utc,
        periods=instance.n_buckets,
        freq=pd.Timedelta(hours=instance.bucket_hours),
    )
    years = np.unique(starts.year.to_numpy())
    return np.searchsorted(years, starts.year.to_numpy()), years


def compile_plan_risk(plan, config: PlanRiskConfig) -> tuple[PlanRiskSpec, np.ndarray]:
    """Compile ``plan`` (a :class:`~moonbase.spine.Plan`) for the workers; also the years."""
    from moonbase.science.adapters import off_station_experiments, requests_from_scenario
    from moonbase.science.solution import job_starts

    if getattr(plan, "site", None) is None:
        raise InputError(
            "the plan has no surface station to sample",
            field="site",
            hint="the whole-plan Monte Carlo samples a surface station's plan",
        )
    scenario = plan.scenario
    instance = plan.campaign.result.instance
    campaign_plan = plan.campaign.result.plan
    risk_config = config.campaign or (
        plan.campaign.risk.config if plan.campaign.risk is not None else RiskConfig()
    )
    spec = compile_plan(instance, campaign_plan, risk_config)
    if not config.launch_failures:
        spec = replace(
            spec,
            alpha=np.ones_like(spec.alpha),
            beta=np.full_like(spec.beta, np.finfo(float).smallest_subnormal),
        )
    drivers = (plan.systems_before_science or plan.systems).simulation.drivers
    flown = {e for f in campaign_plan.flights for e in f.elements}
    ids = [e.id for e in instance.elements]
    before = {  # operating before the span in every sample: history, not re-flown
        i for i, b in zip(ids, spec.preready, strict=True) if b < 0 and i not in flown
    } | {e.id for e in scenario.elements if e.id not in ids and e.state == "flown"}
    logistics = plan.logistics
    cargo = ()
    if logistics is not None:
        carriers = {c.flight: c.elements for c in logistics.manifests.carriers}
        cargo = tuple(
            (component, carriers[component["name"].split(":", 1)[1]])
            for component in logistics.cargo()
        )
    science = plan.science
    off = off_station_experiments(scenario)
    partners, requests = requests_from_scenario(scenario)
    requests = tuple(r for r in requests if r.id not in off)
    bucket_year, years = _bucket_years(science.instance)
    nominal = science.schedules["greedy-fair"]
    starts = job_starts(science.instance, nominal)
    usage = np.zeros((len(partners), len(years)))
    placed = starts >= 0
    np.add.at(
        usage,
        (science.instance.job_partner[placed], bucket_year[starts[placed]]),
        science.instance.utilisation[placed],
    )
    return (
        PlanRiskSpec(
            campaign=spec,
            element_ids=tuple(ids),
            bucket_starts=tuple(instance.bucket_starts),
            scenario=scenario,
            drivers=drivers,
            cargo=cargo,
            relays=relay_table(scenario, plan.site, drivers, always=before, sampled=set(ids)),
            partners=partners,
            requests=requests,
            fair_share=science.instance.entitlement.copy(),
            bucket_year=bucket_year,
            n_years=len(years),
            nominal_usage=usage,
            nominal_value=float(nominal.value),
            config=config,
        ),
        years,
    )


def plan_risk(
    plan,
    *,
    runs: int = 200,
    workers: int = 2,
    seed: int = 0,
    config: PlanRiskConfig | None = None,
    chunk_runs: int = 10,
    scheduler_address: str | None = None,
    client=None,
    progress: Callable[[int, int], None] | None = None,
) -> PlanRisk:
    """``runs`` samples of the whole ``plan`` under risk; identical for a seed on any workers.

    ``plan`` is a :class:`~moonbase.spine.Plan`. Execution as the campaign's Monte Carlo:
    ``client`` (a ``distributed.Client``) if given; else ``scheduler_address``; else a
    ``LocalCluster`` of ``workers`` processes started for the call; ``workers=0`` runs in this
    process. ``progress(done, runs)`` is called as chunks of ``chunk_runs`` samples finish.
    """
    if runs < 1:
        raise InputError(f"runs must be >= 1, got {runs}", field="runs", hint="ask for 1 or more")
    if chunk_runs < 1:
        raise InputError(f"chunk_runs must be >= 1, got {chunk_runs}", field="chunk_runs")
    if workers < 0:
        raise InputError(f"workers must be >= 0, got {workers}", field="workers")
    config = config or PlanRiskConfig()
    began = time.perf_counter()
    spec, years = compile_plan_risk(plan, config)
    setup_s = time.perf_counter() - began
    sizes = chunk_sizes(runs, chunk_runs)
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    start = time.perf_counter()
    results, used = map_chunks(
        simulate_plan_chunk,
        spec,
        seeds,
        sizes,
        n_workers=workers,
        scheduler_address=scheduler_address,
        client=client,
        progress=progress,
    )
    merged = {key: np.concatenate([r[key] for r in results]) for key in results[0]}
    wall_s = time.perf_counter() - start
    campaign = RiskResult(
        instance=plan.campaign.result.instance,
        plan=plan.campaign.result.plan,
        config=spec.campaign.config,
        completion_bucket=merged["completion_bucket"],
        lost=merged["lost"],
        extra_cost_musd=merged["extra_cost_musd"],
        attempts=merged["attempts"],
        failures=merged["failures"],
        seed=seed,
        wall_s=wall_s,
        n_workers=used,
    )
    science = plan.science
    adopted = science.shares()
    partners = tuple(p.id for p in spec.partners)
    contract = (
        science.instance.entitlement
        if science.scenario_entitlement is None
        else science.scenario_entitlement
    )
    return PlanRisk(
        scenario=plan.scenario.name,
        as_of=plan.as_of,
        config=config,
        campaign=campaign,
        partners=partners,
        years=years,
        usage=merged["usage"],
        science_value=merged["science_value"],
        critical_energy_not_served_kwh=merged["critical_energy_not_served_kwh"],
        entitlement=np.asarray(contract, dtype=float),
        fair_share=spec.fair_share,
        nominal_usage=spec.nominal_usage,
        nominal_value=spec.nominal_value,
        plan_delivered=np.array([adopted[p]["delivered_percent"] / 100.0 for p in partners]),
        plan_solver=science.chosen,
        plan_critical_energy_not_served_kwh=float(
            (plan.systems_before_science or plan.systems).kpis["critical_energy_not_served_kwh"]
        ),
        seed=seed,
        n_workers=used,
        wall_s=wall_s,
        setup_s=setup_s,
        chunk_runs=chunk_runs,
    )


_QUANTILES = (5, 25, 50, 75, 95)


@dataclass
class PlanRisk:
    """The samples of :func:`plan_risk` and what they say, per partner and for the station.

    ``usage`` ``(runs, partners, years)``: utilisation of each partner's runs that start in
    each year; ``entitlement``: the partners' entitlements by the scenario's rule
    (:func:`moonbase.science.shares.entitlements_from_scenario`); ``fair_share``: those capped
    at each partner's demand (the science stage's targets, what a partner can be given);
    ``nominal_usage``/``nominal_value``: the plan's own fair-greedy schedule;
    ``plan_delivered``: the shares of the schedule the plan adopted (``plan_solver``).
    """

    scenario: str
    as_of: date
    config: PlanRiskConfig
    campaign: RiskResult
    partners: tuple[str, ...]
    years: np.ndarray
    usage: np.ndarray
    science_value: np.ndarray
    critical_energy_not_served_kwh: np.ndarray
    entitlement: np.ndarray
    fair_share: np.ndarray
    nominal_usage: np.ndarray
    nominal_value: float
    plan_delivered: np.ndarray
    plan_solver: str
    plan_critical_energy_not_served_kwh: float
    seed: int
    n_workers: int
    wall_s: float
    setup_s: float
    chunk_runs: int
    solver: str = "greedy-fair"

    @property
    def n_runs(self) -> int:
        return len(self.science_value)

    @property
    def samples_per_s(self) -> float:
        return self.n_runs / self.wall_s if self.wall_s > 0 else math.inf

    def delivered_share(self, year: int | None = None) -> np.ndarray:
        """Each sample's delivered share ``(runs, partners)`` counting runs up to the end of
        ``year`` (default: the whole span); 0 where nobody had any run by then."""
        cumulative = self._cumulative(year)
        from moonbase.science.shares import shares_of

        return np.nan_to_num(shares_of(cumulative, axis=1), nan=0.0)

    def nominal_share(self, year: int | None = None) -> np.ndarray:
        """The plan's fair-greedy schedule's share ``(partners,)`` counting runs up to ``year``."""
        from moonbase.science.shares import shares_of

        index = len(self.years) - 1 if year is None else self._year_index(year)
        cumulative = self.nominal_usage[:, : index + 1].sum(axis=1)
        return np.nan_to_num(shares_of(cumulative), nan=0.0)

    def _year_index(self, year: int) -> int:
        if year not in self.years:
            raise InputError(
                f"year {year} is outside the span {self.years[0]}-{self.years[-1]}",
                field="year",
                hint=f"ask for a year from {self.years[0]} to {self.years[-1]}",
            )
        return int(np.searchsorted(self.years, year))

    def _cumulative(self, year: int | None) -> np.ndarray:
        index = len(self.years) - 1 if year is None else self._year_index(year)
        return self.usage[:, :, : index + 1].sum(axis=2)

    def probability_at_least(self, fraction: float, *, basis: str = "fair") -> pd.DataFrame:
        """P(delivered share >= ``fraction`` of the fair share), partners by years.

        Counting runs up to the end of each year; a share short of the target by at most
        ``share_tolerance`` of it meets it, a partner that gets nothing never does; NaN for a
        partner whose target is 0 (it asks for nothing). ``basis="entitlement"`` measures
        against the scenario's entitlement instead (a partner that asks for less than its
        entitlement never reaches it, whatever the risk).
        """
        from moonbase.science.shares import shares_of

        if basis not in ("fair", "entitlement"):
            raise InputError(
                f"unknown basis {basis!r}", field="basis", hint="use 'fair' or 'entitlement'"
            )
        cumulative = np.cumsum(self.usage, axis=2)  # (runs, partners, years)
        shares = np.nan_to_num(shares_of(cumulative, axis=1), nan=0.0)
        share = self.fair_share if basis == "fair" else self.entitlement
        share = np.nan_to_num(share, nan=0.0)
        target = fraction * share[None, :, None] * (1.0 - self.config.share_tolerance)
        met = (shares >= target) & (shares > 0)
        probability = met.mean(axis=0)
        probability[share <= 0, :] = np.nan
        return pd.DataFrame(probability, index=list(self.partners), columns=self.years.tolist())

    def partner_table(self) -> pd.DataFrame:
        """Per partner: entitlement, fair share, the plan's shares and the samples' (percent)."""
        share = self.delivered_share()
        rows = []
        nominal = self.nominal_share()
        for i, partner in enumerate(self.partners):
            row = {
                "partner": partner,
                "entitlement_percent": 100.0 * self.entitlement[i],
                "fair_share_percent": 100.0 * self.fair_share[i],
                "plan_delivered_percent": 100.0 * self.plan_delivered[i],
                "plan_greedy_fair_percent": 100.0 * nominal[i],
                "mean_percent": 100.0 * float(share[:, i].mean()),
            }
            for q in _QUANTILES:
                row[f"p{q}_percent"] = 100.0 * float(np.percentile(share[:, i], q))
            row["p_nothing"] = float(np.mean(share[:, i] <= 0))
            rows.append(row)
        return pd.DataFrame(rows)

    def probability_table(self) -> pd.DataFrame:
        """P(share >= fraction of the fair share by year): one row per partner and fraction,
        partners that ask for nothing left out."""
        frames = []
        for fraction in self.config.fractions:
            frame = self.probability_at_least(fraction).dropna(how="all")
            frame.insert(0, "fraction_of_fair_share", fraction)
            frames.append(frame.rename_axis("partner").reset_index())
        table = pd.concat(frames, ignore_index=True)
        table.columns = [str(c) for c in table.columns]
        return table

    def p_critical_energy_served(self) -> float:
        """P(the station serves all its critical energy: none lost beyond rounding)."""
        return float(np.mean(self.critical_energy_not_served_kwh <= CRITICAL_TOLERANCE_KWH))

    def station_table(self) -> pd.DataFrame:
        """The station's figures over the samples beside the plan's."""
        campaign = self.campaign.summary()
        value = self.science_value
        rows = [
            ("P(basic model by target)", self.campaign.probability_by(), campaign["target"]),
            ("basic model operating, p10", campaign["completion_p10"], ""),
            ("basic model operating, p50", campaign["completion_p50"], ""),
            ("basic model operating, p90", campaign["completion_p90"], ""),
            ("P(critical energy not served == 0)", self.p_critical_energy_served(), ""),
            (
                "critical energy not served, mean (kWh)",
                float(self.critical_energy_not_served_kwh.mean()),
                f"plan: {self.plan_critical_energy_not_served_kwh:.6g}",
            ),
            (
                "science value, mean",
                float(value.mean()),
                f"plan's fair greedy: {self.nominal_value:.6g}",
            ),
        ]
        rows += [(f"science value, p{q}", float(np.percentile(value, q)), "") for q in _QUANTILES]
        return pd.DataFrame(rows, columns=["quantity", "value", "note"])

    def summary(self) -> dict:
        """The headline as plain JSON-safe data (see ``docs/nomenclature.md``)."""
        campaign = self.campaign.summary()
        partners = {}
        table = self.partner_table().set_index("partner")
        for fraction in self.config.fractions:
            probability = self.probability_at_least(fraction)
            for partner in self.partners:
                entry = partners.setdefault(partner, {"p_at_least": {}})
                entry["p_at_least"][f"{fraction:g}"] = {
                    str(year): _number(probability.loc[partner, year]) for year in self.years
                }
        for partner in self.partners:
            row = table.loc[partner]
            partners[partner].update(
                {
                    "entitlement_percent": _number(row["entitlement_percent"]),
                    "fair_share_percent": _number(row["fair_share_percent"]),
                    "plan_delivered_percent": _number(row["plan_delivered_percent"]),
                    "plan_greedy_fair_percent": _number(row["plan_greedy_fair_percent"]),
                    "delivered_percent": {
                        "mean": _number(row["mean_percent"]),
                        **{f"p{q}": _number(row[f"p{q}_percent"]) for q in _QUANTILES},
                    },
                    "p_nothing": _number(row["p_nothing"]),
                }
            )
        value = self.science_value
        return {
            "scenario": self.scenario,
            "as_of": self.as_of.isoformat(),
            "runs": self.n_runs,
            "seed": self.seed,
            "workers": self.n_workers,
            "chunk_runs": self.chunk_runs,
            "solver": self.solver,
            "launch_failures": self.config.launch_failures,
            "component_failures": self.config.component_failures,
            "replan_science": self.config.replan_science,
            "share_tolerance": self.config.share_tolerance,
            "years": [int(y) for y in self.years],
            "station": {
                "p_basic_model_by_target": self.campaign.probability_by(),
                "target": campaign["target"],
                "basic_model_p10": campaign["completion_p10"],
                "basic_model_p50": campaign["completion_p50"],
                "basic_model_p90": campaign["completion_p90"],
                "p_critical_energy_served": self.p_critical_energy_served(),
                "critical_energy_not_served_kwh_mean": _number(
                    self.critical_energy_not_served_kwh.mean()
                ),
                "science_value": {
                    "plan_greedy_fair": _number(self.nominal_value),
                    "mean": _number(value.mean()),
                    **{f"p{q}": _number(np.percentile(value, q)) for q in _QUANTILES},
                },
            },
            "partners": partners,
            "wall_s": round(self.wall_s, 3),
            "setup_s": round(self.setup_s, 3),
            "samples_per_s": _number(self.samples_per_s),
        }

    def section(self):
        """The report's section: the plan under risk, per partner and for the station."""
        from moonbase.study.montecarlo_report import plan_risk_section

        return plan_risk_section(self)


def _number(value):
    """A JSON-safe number: floats stay floats, NaN and infinities become None."""
    if value is None:
        return None
    value = float(value)
    return None if not math.isfinite(value) else value
