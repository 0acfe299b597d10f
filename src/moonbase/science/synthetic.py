"""Seeded synthetic scheduling problems for tests, benchmarks and ``moonbase science schedule --demo``.

The station offer is notional but shaped like a south-pole base: power higher in a
``sunlit`` window that follows a 29.53-day cycle (lit 70 % of the time), an ``earth_in_view``
window on a 27.32-day cycle (in view 60 %), a ``target:galactic_centre`` window on the sidereal
cycle, robot time from the start, crew time only from the middle of the campaign on. Requests are drawn
at random (seeded) over the four ILRS purposes; demand exceeds what the station offers, so the
scheduler has to choose.
"""

from __future__ import annotations

import numpy as np

from moonbase.constants import SYNODIC_MONTH_DAYS
from moonbase.science.models import (
    Category,
    ExperimentRequest,
    Partner,
    SchedulingProblem,
    StationResources,
)

__all__ = [
    "reference_buffer_gbit",
    "synthetic_problem",
    "synthetic_resources",
    "zipf_entitlements",
]

_SIDEREAL_MONTH_DAYS = 27.321661


def zipf_entitlements(n_partners: int) -> np.ndarray:
    """Entitlements falling as ``1/rank`` (a few large partners, many small ones), summing to 1."""
    weights = 1.0 / np.arange(1, n_partners + 1)
    return weights / weights.sum()


def reference_buffer_gbit() -> float:
    """The onboard data buffer of the systems twin's reference station
    (:func:`moonbase.systems.reference.reference_station`), the figure the science benchmarks
    give the synthetic station."""
    from moonbase.systems.reference import reference_station

    return reference_station().data_buffer_gbit


def _cycle(days: np.ndarray, period_days: float, open_fraction: float, phase: float) -> np.ndarray:
    return np.mod(days / period_days + phase, 1.0) < open_fraction


def synthetic_resources(
    n_days: int,
    *,
    start_utc: str = "2030-01-01T00:00:00",
    crew_from_fraction: float = 0.5,
    data_buffer_gbit: float = 0.0,
) -> StationResources:
    """Daily station offer over ``n_days`` (see the module docstring), with ``data_buffer_gbit``
    of onboard storage for data waiting for the downlink."""
    days = np.arange(n_days, dtype=float)
    sunlit = _cycle(days, SYNODIC_MONTH_DAYS, 0.7, 0.0)
    earth = _cycle(days, _SIDEREAL_MONTH_DAYS, 0.6, 0.3)
    target = _cycle(days, _SIDEREAL_MONTH_DAYS, 0.45, 0.7)
    crewed = days >= crew_from_fraction * n_days
    return StationResources(
        start_utc=start_utc,
        bucket_hours=24.0,
        power_w=list(np.where(sunlit, 12_000.0, 4_000.0)),
        downlink_mbit=list(np.where(earth, 150_000.0, 20_000.0)),
        crew_time_h=list(np.where(crewed, 12.0, 0.0)),
        robot_time_h=list(np.full(n_days, 16.0)),
        payload_mass_kg=list(np.full(n_days, 2_000.0)),
        payload_volume_m3=list(np.full(n_days, 20.0)),
        data_buffer_gbit=data_buffer_gbit,
        windows={
            "sunlit": sunlit.tolist(),
            "dark": (~sunlit).tolist(),
            "earth_in_view": earth.tolist(),
            "target:galactic_centre": target.tolist(),
        },
    )


def synthetic_problem(
    n_requests: int,
    n_partners: int,
    n_days: int,
    *,
    seed: int = 0,
    entitlements: np.ndarray | None = None,
    max_repeats: int = 3,
    dependency_fraction: float = 0.05,
    data_buffer_gbit: float = 0.0,
) -> SchedulingProblem:
    """A seeded random problem: ``n_requests`` requests from ``n_partners`` over ``n_days``
    (``data_buffer_gbit``: see :func:`synthetic_resources`)."""
    rng = np.random.default_rng(seed)
    shares = zipf_entitlements(n_partners) if entitlements is None else np.asarray(entitlements)
    partners = tuple(
        Partner(id=f"P{i:02d}", name=f"Partner {i}", entitlement=float(e))
        for i, e in enumerate(shares)
    )
    categories = list(Category)
    window_choices = [
        (),
        (),
        ("sunlit",),
        ("earth_in_view",),
        ("dark",),
        ("target:galactic_centre",),
    ]
    requests = []
    owner = rng.integers(0, n_partners, n_requests)
    for k in range(n_requests):
        crewed = rng.random() < 0.3
        duration_days = int(rng.integers(1, 15))
        earlier_same = [
            requests[i].id
            for i in range(max(0, k - 50), k)
            if requests[i].partner == f"P{owner[k]:02d}"
        ]
        depends = (
            (str(rng.choice(earlier_same)),)
            if earlier_same and rng.random() < dependency_fraction
            else ()
        )
        requests.append(
            ExperimentRequest(
                id=f"R{k:05d}",
                partner=f"P{owner[k]:02d}",
                category=categories[int(rng.integers(0, 4))],
                duration_h=24.0 * duration_days,
                power_w=float(rng.choice([50, 100, 200, 400, 800, 1500])),
                data_volume_gbit=float(rng.uniform(1, 40) * duration_days),
                crew_time_h=float(rng.uniform(1, 3) * duration_days) if crewed else 0.0,
                robot_time_h=0.0 if crewed else float(rng.uniform(0.2, 2) * duration_days),
                mass_kg=float(rng.uniform(5, 150)),
                volume_m3=float(rng.uniform(0.01, 1.0)),
                windows=window_choices[int(rng.integers(0, len(window_choices)))],
                priority=int(rng.integers(1, 6)),
                value=float(np.round(rng.uniform(0.5, 2.0), 2)),
                depends_on=depends,
                repeats=int(rng.integers(1, max_repeats + 1)),
                repeat_gap_h=24.0 * float(rng.integers(0, 30)),
            )
        )
    return SchedulingProblem(
        partners=partners,
        requests=tuple(requests),
        resources=synthetic_resources(n_days, data_buffer_gbit=data_buffer_gbit),
    )
