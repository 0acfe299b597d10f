"""Monte Carlo of launch failures and schedule slips, with a re-flight policy, on Dask.

Each run plays the plan forward, flight by flight in planned order, vectorised over the runs of
a chunk (no Python loop over runs):

1. **Reliability**: per run and launcher, ``p ~ Beta(alpha, beta)`` (the launcher's prior from
   its flight record: successes + 1, failures + 1); each launch attempt fails with ``1 - p``.
2. **Programme slip** per element (hardware late): zero-inflated lognormal. Default fitted to the
   six programme outcomes of the reference note (``ilrs-campaign.md`` section 0/1.1): Luna-25
   2019 -> 2023 (48 months), Luna-26 2023-24 -> 2027 (42), Chang'e-7 2024 -> 2026 (24), basic
   model 2028 -> 2035 (84); Chang'e-6 and Queqiao-2 flew in 2024 as stated in 2023 (0, 0).
   So ``P(slip) = 4/6`` and ``ln(months) ~ N(3.80, 0.51)`` (mean and sample SD of the logs).
3. **Launch delay** per attempt: exponential with mean 1 month (an assumption of the order of
   the ISS cargo delays fitted by Gardner & Grogan 2021; their parameters were not retrieved).
4. **Policy**: a flight goes when its hardware is ready (planned date + slip), its launcher is
   free (one launch per bucket; after a failure a stand-down of 12-30 months, uniform: Long
   March 5 Y2 stood down ~30 months, H3 ~12 months after TF1) and what its elements require is
   operating; then it waits for the next bucket with landing daylight. On a failure the lost
   elements are rebuilt (``rebuild_months``, default 24) and re-fly on the next launch of the
   same launcher; at most ``max_attempts`` tries.

Chunks of runs get seeds from ``numpy.random.SeedSequence(seed).spawn(n_chunks)``; the chunk
size does not depend on the number of workers, so a seed gives identical results on 1 or many.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from moonbase.campaign.model import CampaignInstance
from moonbase.campaign.plan import CampaignPlan, basic_model_ids
from moonbase.errors import InputError
from moonbase.parallel import chunk_sizes, map_chunks

__all__ = ["RiskConfig", "RiskResult", "RiskSpec", "monte_carlo", "simulate_chunk"]

_MONTH_DAYS = 365.25 / 12.0
_HISTORICAL_SLIPS_MONTHS = np.array([48.0, 42.0, 24.0, 84.0, 0.0, 0.0])
_POSITIVE = np.log(_HISTORICAL_SLIPS_MONTHS[_HISTORICAL_SLIPS_MONTHS > 0])


class RiskConfig(BaseModel):
    """Parameters of the risk model (months are 365.25/12 days)."""

    model_config = ConfigDict(extra="forbid")

    slip_probability: float = Field(
        default=float(np.mean(_HISTORICAL_SLIPS_MONTHS > 0)), ge=0, le=1
    )
    slip_log_mean: float = float(_POSITIVE.mean())
    slip_log_sigma: float = Field(default=float(_POSITIVE.std(ddof=1)), ge=0)
    launch_delay_mean_months: float = Field(default=1.0, ge=0)
    standdown_months: tuple[float, float] = (12.0, 30.0)
    rebuild_months: float = Field(default=24.0, ge=0)
    max_attempts: int = Field(default=4, ge=1)
    target: date = date(2035, 12, 31)


@dataclass
class RiskSpec:
    """The plan compiled to arrays (what a Dask worker receives)."""

    flight_launcher: np.ndarray  # (F,) launcher index
    flight_bucket: np.ndarray  # (F,) planned bucket
    flight_lands: np.ndarray  # (F,) any lander on board
    members: list[np.ndarray]  # per flight: element indices
    requires: list[list[int]]  # per element: element indices it requires
    needs: list[list[list[int]]]  # per element: per capability, provider indices
    lag: np.ndarray  # (E,) buckets launch -> operating
    preready: np.ndarray  # (E,) operating bucket of already-operating elements, nan otherwise
    partner: np.ndarray  # (E,) partner index
    element_cost: np.ndarray  # (E,) MUSD
    launcher_cost: np.ndarray  # (L,) MUSD
    alpha: np.ndarray  # (L,)
    beta: np.ndarray  # (L,)
    basic: np.ndarray  # (B,) element indices
    next_allowed: np.ndarray  # (n + 1,) next bucket >= b with landing daylight (n: none)
    n_partners: int
    months_to_buckets: float
    config: RiskConfig


def compile_plan(instance: CampaignInstance, plan: CampaignPlan, config: RiskConfig) -> RiskSpec:
    """Turn the plan into the arrays :func:`simulate_chunk` works on."""
    ids = [e.id for e in instance.elements]
    index = {i: k for k, i in enumerate(ids)}
    launchers = [launcher.id for launcher in instance.launchers]
    partners = [p.id for p in instance.partners]
    flights = sorted(plan.flights, key=lambda f: (f.bucket, f.launcher, f.index))
    providers: dict[str, list[int]] = {}
    for k, e in enumerate(instance.elements):
        for tag in e.provides:
            providers.setdefault(tag, []).append(k)
    allowed = instance.landing_allowed()
    n = instance.n_buckets
    next_allowed = np.full(n + 1, n, dtype=np.int64)
    following = n
    for b in range(n - 1, -1, -1):
        if allowed[b]:
            following = b
        next_allowed[b] = following
    return RiskSpec(
        flight_launcher=np.array([launchers.index(f.launcher) for f in flights], dtype=np.int64),
        flight_bucket=np.array([f.bucket for f in flights], dtype=float),
        flight_lands=np.array(
            [any(instance.element(i).lands for i in f.elements) for f in flights], dtype=bool
        ),
        members=[np.array([index[i] for i in f.elements], dtype=np.int64) for f in flights],
        requires=[[index[r] for r in e.requires] for e in instance.elements],
        needs=[[providers[tag] for tag in e.needs] for e in instance.elements],
        lag=np.array([instance.lag_buckets(e) for e in instance.elements], dtype=float),
        preready=np.array(
            [
                instance.bucket_of(e.operating_from) if e.operating_from is not None else np.nan
                for e in instance.elements
            ]
        ),
        partner=np.array([partners.index(e.partner) for e in instance.elements], dtype=np.int64),
        element_cost=np.array([e.cost_musd for e in instance.elements]),
        launcher_cost=np.array([launcher.cost_musd for launcher in instance.launchers]),
        alpha=np.array([launcher.reliability_alpha for launcher in instance.launchers]),
        beta=np.array([launcher.reliability_beta for launcher in instance.launchers]),
        basic=np.array([index[i] for i in basic_model_ids(instance)], dtype=np.int64),
        next_allowed=next_allowed,
        n_partners=len(partners),
        months_to_buckets=_MONTH_DAYS / instance.bucket_days,
        config=config,
    )


def _snap(spec: RiskSpec, t: np.ndarray, lands: bool) -> np.ndarray:
    """Earliest whole bucket >= t, moved on to the next daylight bucket when landing."""
    b = np.ceil(t - 1e-9)
    if not lands:
        return b
    n = len(spec.next_allowed) - 1
    inside = np.isfinite(b) & (b >= 0) & (b < n)
    snapped = spec.next_allowed[np.where(inside, b, 0).astype(np.int64)].astype(float)
    return np.where(inside & (snapped < n), snapped, b)


def simulate_chunk(
    spec: RiskSpec, seed: np.random.SeedSequence, n_runs: int, *, arrivals: bool = False
) -> dict:
    """Simulate ``n_runs`` runs; arrays over runs (completion bucket, per-partner exposure).

    With ``arrivals`` the result also holds ``ready_bucket`` ``(n_runs, E)``: the bucket each
    element operates from in each run (inf: never, lost or grounded), from the same draws.
    """
    cfg = spec.config
    rng = np.random.default_rng(seed)
    n_el, n_l = len(spec.lag), len(spec.alpha)
    reliability = rng.beta(spec.alpha, spec.beta, size=(n_runs, n_l))
    slipped = rng.random((n_runs, n_el)) < cfg.slip_probability
    slip_months = np.where(
        slipped, rng.lognormal(cfg.slip_log_mean, cfg.slip_log_sigma, (n_runs, n_el)), 0.0
    )
    slip = slip_months * spec.months_to_buckets
    ready = np.tile(np.nan_to_num(spec.preready, nan=np.inf), (n_runs, 1))  # inf: never
    launcher_free = np.full((n_runs, n_l), -np.inf)
    lost = np.zeros((n_runs, spec.n_partners))
    extra_cost = np.zeros((n_runs, spec.n_partners))
    attempts_total = np.zeros(n_runs)
    failures_total = np.zeros(n_runs)
    to_b = spec.months_to_buckets
    for f, members in enumerate(spec.members):
        lch = spec.flight_launcher[f]
        t = spec.flight_bucket[f] + slip[:, members].max(axis=1)
        for k in members:
            for r in spec.requires[k]:
                t = np.maximum(t, ready[:, r])
            for group in spec.needs[k]:
                t = np.maximum(t, ready[:, group].min(axis=1))
        t = np.maximum(t, launcher_free[:, lch])
        pending = np.isfinite(t)
        flown_at = np.full(n_runs, np.inf)
        for _ in range(cfg.max_attempts):
            delay = rng.exponential(cfg.launch_delay_mean_months * to_b, n_runs)
            go = _snap(spec, t + delay, bool(spec.flight_lands[f]))
            ok = rng.random(n_runs) < reliability[:, lch]
            attempts_total += pending
            success = pending & ok
            failure = pending & ~ok
            flown_at = np.where(success, go, flown_at)
            launcher_free[:, lch] = np.where(success, go + 1, launcher_free[:, lch])
            if failure.any():
                failures_total += failure
                standdown = rng.uniform(*cfg.standdown_months, n_runs) * to_b
                launcher_free[:, lch] = np.where(failure, go + standdown, launcher_free[:, lch])
                for k in members:
                    p = spec.partner[k]
                    lost[:, p] += failure
                    extra_cost[:, p] += failure * spec.element_cost[k]
                retry_cost = spec.launcher_cost[lch] / len(members)
                for k in members:
                    extra_cost[:, spec.partner[k]] += failure * retry_cost
                t = np.where(
                    failure, np.maximum(go + cfg.rebuild_months * to_b, launcher_free[:, lch]), t
                )
            pending = failure
            if not pending.any():
                break
        for k in members:
            ready[:, k] = flown_at + spec.lag[k]
    completion = ready[:, spec.basic].max(axis=1) if len(spec.basic) else np.zeros(n_runs)
    out = {
        "completion_bucket": completion,
        "lost": lost,
        "extra_cost_musd": extra_cost,
        "attempts": attempts_total,
        "failures": failures_total,
    }
    if arrivals:
        out["ready_bucket"] = ready
    return out


@dataclass
class RiskResult:
    """Distributions over the runs and their summary."""

    instance: CampaignInstance
    plan: CampaignPlan
    config: RiskConfig
    completion_bucket: np.ndarray
    lost: np.ndarray
    extra_cost_musd: np.ndarray
    attempts: np.ndarray
    failures: np.ndarray
    seed: int
    wall_s: float
    n_workers: int
    extra: dict = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return len(self.completion_bucket)

    def completion_dates(self) -> np.ndarray:
        """Completion date per run (``datetime64[D]``; NaT when never complete)."""
        return _bucket_to_date(self.instance, self.completion_bucket)

    def probability_by(self, day: date | None = None) -> float:
        """Probability that the basic model operates by ``day`` (default: ``config.target``)."""
        day = day or self.config.target
        dates = self.completion_dates()
        return float(np.mean(~np.isnat(dates) & (dates <= np.datetime64(day, "D"))))

    def summary(self) -> dict:
        """Runs, P(complete by target), completion quantiles over all runs ("never" if beyond)."""
        dates = np.sort(self.completion_dates())  # NaT sorts last: never complete
        quantiles = {}
        for q in (10, 50, 90):
            value = dates[min(len(dates) - 1, int(q / 100 * len(dates)))]
            quantiles[q] = "never" if np.isnat(value) else str(value)
        return {
            "runs": self.n_runs,
            "seed": self.seed,
            "probability_by_target": self.probability_by(),
            "target": str(self.config.target),
            "never_complete_fraction": float(np.mean(np.isnat(dates))),
            "completion_p10": quantiles[10],
            "completion_p50": quantiles[50],
            "completion_p90": quantiles[90],
            "mean_launch_attempts": float(self.attempts.mean()),
            "mean_launch_failures": float(self.failures.mean()),
            "wall_s": round(self.wall_s, 3),
            "workers": self.n_workers,
        }

    def partner_exposure(self) -> pd.DataFrame:
        """Per partner: P(lose an element), mean elements lost, mean re-flight cost (MUSD)."""
        partners = [p.id for p in self.instance.partners]
        frame = pd.DataFrame(
            {
                "partner": partners,
                "p_lose_element": (self.lost > 0).mean(axis=0),
                "mean_elements_lost": self.lost.mean(axis=0),
                "mean_extra_cost_musd": self.extra_cost_musd.mean(axis=0),
                "p95_extra_cost_musd": np.percentile(self.extra_cost_musd, 95, axis=0),
            }
        )
        return frame.sort_values("mean_extra_cost_musd", ascending=False).reset_index(drop=True)

    def figure(self):
        from moonbase.campaign.figures import risk_figure

        return risk_figure(self)


def _bucket_to_date(instance: CampaignInstance, bucket: np.ndarray) -> np.ndarray:
    starts = np.array(instance.bucket_starts, dtype="datetime64[D]")
    n = instance.n_buckets
    b = np.asarray(bucket, dtype=float)
    out = np.full(b.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    finite = np.isfinite(b)
    inside = finite & (b <= n)
    whole = np.clip(np.floor(np.where(finite, b, 0)), -1, n).astype(np.int64)
    out[inside & (whole >= 0)] = starts[whole[inside & (whole >= 0)]]
    beyond = finite & (b > n)
    if beyond.any():
        days = np.round((b[beyond] - n) * instance.bucket_days).astype(np.int64)
        out[beyond] = starts[-1] + days.astype("timedelta64[D]")
    before = finite & (whole < 0)
    out[before] = starts[0] - np.timedelta64(1, "D")
    return out


def monte_carlo(
    instance,
    plan: CampaignPlan | None = None,
    *,
    n_runs: int = 10_000,
    seed: int = 0,
    config: RiskConfig | None = None,
    n_workers: int = 2,
    scheduler_address: str | None = None,
    client=None,
    chunk_runs: int = 1_000,
    progress: Callable[[int, int], None] | None = None,
) -> RiskResult:
    """Run ``n_runs`` Monte Carlo runs of ``plan``; identical for a seed on any worker count.

    ``monte_carlo(result)`` with a :class:`~moonbase.campaign.CampaignResult` uses its instance
    and optimised plan; otherwise give ``monte_carlo(instance, plan)``.

    Execution: ``client`` (a ``distributed.Client``) if given; else ``scheduler_address`` (an
    existing Dask scheduler); else a ``LocalCluster(processes=True, n_workers=n_workers)``
    started for the call; ``n_workers=0`` runs in this process without Dask.
    ``progress(done_runs, n_runs)`` is called as chunks finish.
    """
    if plan is None:  # a CampaignResult: its instance and optimised plan
        instance, plan = instance.instance, instance.plan
    if n_runs < 1:
        raise InputError(f"n_runs must be >= 1, got {n_runs}", field="runs")
    if chunk_runs < 1:
        raise InputError(f"chunk_runs must be >= 1, got {chunk_runs}", field="chunk_runs")
    config = config or RiskConfig()
    spec = compile_plan(instance, plan, config)
    sizes = chunk_sizes(n_runs, chunk_runs)
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    start = time.perf_counter()
    results, workers_used = map_chunks(
        simulate_chunk,
        spec,
        seeds,
        sizes,
        n_workers=n_workers,
        scheduler_address=scheduler_address,
        client=client,
        progress=progress,
    )
    merged = {key: np.concatenate([r[key] for r in results]) for key in results[0]}
    return RiskResult(
        instance=instance,
        plan=plan,
        config=config,
        seed=seed,
        wall_s=time.perf_counter() - start,
        n_workers=workers_used,
        **merged,
    )
