"""Random campaign instances for tests and benchmarks (reproducible from a seed).

Masses follow the reference note's rules of thumb: landers put about 0.32-0.38 of their TLI
mass on the surface; launchers are LM-5-, LM-10- and LM-9-like (8.2 t, 27 t, 50 t to TLI); the new ones get
a Beta(5, 2) reliability prior (an illustrative first-flights prior, not a fitted one).
The daylight calendar is a synthetic polar-like pattern (about half the months dark) unless
``daylight`` is given.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from moonbase.campaign.calendar import bucket_starts
from moonbase.campaign.model import (
    CampaignConfig,
    CampaignElement,
    CampaignInstance,
    CampaignLauncher,
    CampaignPartner,
)

__all__ = ["synthetic_instance"]

_LAUNCHER_TYPES = (  # id, TLI kg, landed fraction, cadence/yr, cost MUSD, (successes, failures)
    ("LM5", 8200.0, 0.35, 3, 150.0, (14, 1)),
    ("LM10", 27000.0, 0.35, 2, 300.0, (4, 1)),
    ("LM9", 50000.0, 0.35, 1, 500.0, (4, 1)),
)


def synthetic_instance(
    n_elements: int = 20,
    n_flights: int = 12,
    n_partners: int = 4,
    years: int = 8,
    *,
    seed: int = 0,
    start: date = date(2030, 1, 1),
    daylight: np.ndarray | None = None,
    dependency_probability: float = 0.15,
    budgets: bool = True,
    config: CampaignConfig | None = None,
) -> CampaignInstance:
    """A random but feasible-looking campaign of ``n_elements`` over ``years`` monthly buckets.

    ``n_flights`` candidate flights are spread over the launcher types in proportion to cadence.
    Elements depend on earlier ones with ``dependency_probability``; a power and a comms
    provider come first; the first half of the elements forms the basic model.
    """
    rng = np.random.default_rng(seed)
    starts = bucket_starts(start, date(start.year + years, start.month, 1), "month")
    n_buckets = len(starts) - 1
    if daylight is None:
        phase = rng.uniform(0, 12)
        months = np.arange(n_buckets)
        daylight = np.clip(0.5 + 0.9 * np.sin(2 * np.pi * (months + phase) / 12.0), 0.0, 1.0)
    partners = [CampaignPartner(id=f"P{i}") for i in range(n_partners)]
    cadence = np.array([t[3] for t in _LAUNCHER_TYPES], dtype=float)
    shares = np.maximum(1, np.round(n_flights * cadence / cadence.sum()).astype(int))
    shares[0] += n_flights - shares.sum()
    launchers = []
    for (name, tli, frac, cad, cost, (ok, bad)), count in zip(_LAUNCHER_TYPES, shares, strict=True):
        launchers.append(
            CampaignLauncher(
                id=name,
                partner=partners[len(launchers) % n_partners].id,
                capacity_tli_kg=tli,
                landed_fraction=frac,
                cadence_per_year=cad,
                available_from=date(start.year + min(len(launchers) * 2, years // 2), 1, 1),
                max_flights=int(max(count, 0)),
                cost_musd=cost,
                reliability_alpha=ok + 1.0,
                reliability_beta=bad + 1.0,
            )
        )
    capacity = sum(
        launcher.capacity_tli_kg * launcher.landed_fraction * (launcher.max_flights or 0)
        for launcher in launchers
    )
    kinds = rng.choice(3, size=n_elements, p=[0.6, 0.3, 0.1])
    masses = rng.uniform(0.3, 0.95, size=n_elements) * np.array([2800.0, 9000.0, 16000.0])[kinds]
    masses *= min(1.0, 0.55 * capacity / masses.sum())
    elements = []
    for i in range(n_elements):
        landed = float(masses[i])
        provides, needs, requires = [], [], []
        if i == 0:
            provides = ["power"]
        elif i == 1:
            provides = ["comms"]
        else:
            needs = [tag for tag in ("power", "comms") if rng.random() < 0.5]
            requires = [
                f"E{j}"
                for j in range(2, i)
                if rng.random() < dependency_probability / max(1, i / 5)
            ][:2]
        elements.append(
            CampaignElement(
                id=f"E{i}",
                partner=partners[int(rng.integers(n_partners))].id,
                landed_mass_kg=round(landed, 1),
                requires=requires,
                needs=needs,
                provides=provides,
                basic_model=i < max(2, n_elements // 2),
                cost_musd=float(round(rng.uniform(50, 400), 1)),
                value=int(rng.integers(1, 6)),
            )
        )
    if budgets:
        total = sum(e.cost_musd for e in elements) + sum(
            launcher.cost_musd * (launcher.max_flights or 0) for launcher in launchers
        )
        per_partner_year = 2.5 * total / (n_partners * years)
        partners = [
            CampaignPartner(id=p.id, budget_musd_per_year=round(per_partner_year, 1))
            for p in partners
        ]
    return CampaignInstance(
        name=f"synthetic-{n_elements}e-{n_flights}f-{seed}",
        elements=elements,
        launchers=launchers,
        partners=partners,
        bucket_starts=starts,
        daylight_fraction=[float(x) for x in daylight],
        config=config or CampaignConfig(),
    )
