"""Random failures and repairs: exponential times between failures (MTBF), repairs with spares.

A component works for an exponential time of mean ``mtbf_h``, fails, and is back after
``mttr_h`` if a spare is on hand; with no spare the failure is final. A repair first uses one of
the component's own ``spares``; once those are used, a component with ``spare_mass_kg`` draws
that mass from the station's spares stock (what cargo delivered, :func:`repairs_from_stock`),
waiting for the next delivery when the stock is short, first come first served. Draws come from
a seeded :class:`numpy.random.Generator`, one component after another in station order
(:func:`draw_up_times`), so a seed reproduces a run.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

__all__ = ["RepairRecord", "availability", "draw_up_times", "outages", "repairs_from_stock"]


def draw_up_times(
    n_steps: int,
    step_h: float,
    *,
    mtbf_h: float | None,
    start_index: int,
    rng: np.random.Generator | None,
) -> np.ndarray:
    """Successive working times (h) of a component from its start: enough to outlast the span.

    Empty when it cannot fail (no ``mtbf_h``, no ``rng``) or never starts in the span. The
    number drawn depends only on the span, so repairs of any kind keep the same random stream.
    """
    if mtbf_h is None or rng is None or start_index >= n_steps:
        return np.zeros(0)
    expected = (n_steps - start_index) * step_h / mtbf_h
    k = int(expected + 6.0 * np.sqrt(expected) + 10)
    return rng.exponential(mtbf_h, size=k)


def outages(
    n_steps: int, step_h: float, start_index: int, fail_h: np.ndarray, restore_h: np.ndarray
) -> np.ndarray:
    """Working mask ``(n_steps,)`` from failure and restore times (h after ``start_index``).

    A step is down from the one containing the failure (rounded up to whole steps) until the
    one containing the restore; ``restore_h`` may be ``inf`` (never repaired).
    """
    delta = np.zeros(n_steps + 1, dtype=np.int64)
    if len(fail_h) == 0:
        return np.ones(n_steps, dtype=bool)
    horizon_h = (n_steps - start_index) * step_h
    fail_i = start_index + np.ceil(np.asarray(fail_h) / step_h).astype(np.int64)
    restore = np.asarray(restore_h, dtype=float)
    restore_i = np.where(
        np.isfinite(restore),
        start_index + np.ceil(np.minimum(restore, horizon_h + step_h) / step_h),
        n_steps,
    ).astype(np.int64)
    np.add.at(delta, np.minimum(fail_i, n_steps), -1)
    np.add.at(delta, np.minimum(restore_i, n_steps), 1)
    return np.cumsum(delta)[:n_steps] >= 0


def availability(
    n_steps: int,
    step_h: float,
    *,
    mtbf_h: float | None,
    mttr_h: float,
    spares: int,
    start_index: int,
    rng: np.random.Generator | None,
) -> tuple[np.ndarray, int, bool]:
    """Working mask ``(n_steps,)`` (False while failed), failures, and whether one was final.

    Repairs use the component's own ``spares`` only. Steps before ``start_index`` (arrival)
    count as working; presence is handled elsewhere.
    """
    up_h = draw_up_times(n_steps, step_h, mtbf_h=mtbf_h, start_index=start_index, rng=rng)
    return _own_spares(n_steps, step_h, up_h, mttr_h, spares, start_index)


def _own_spares(n_steps, step_h, up_h, mttr_h, spares, start_index):
    if len(up_h) == 0:
        return np.ones(n_steps, dtype=bool), 0, False
    k = len(up_h)
    horizon_h = (n_steps - start_index) * step_h
    down_h = np.where(np.arange(k) < spares, mttr_h, np.inf)
    fail_h = np.cumsum(up_h) + np.concatenate(([0.0], np.cumsum(down_h)[:-1]))
    restore_h = fail_h + down_h
    inside = fail_h < horizon_h
    n_fail = int(inside.sum())
    if n_fail == 0:
        return np.ones(n_steps, dtype=bool), 0, False
    working = outages(n_steps, step_h, start_index, fail_h[inside], restore_h[inside])
    return working, n_fail, bool(np.isinf(restore_h[inside][-1]))


@dataclass(frozen=True)
class RepairRecord:
    """What the failures of a set of components did, given the spares stock's deliveries.

    Per component (in the order given): ``working`` masks, ``failures`` and whether the last
    was ``final``; ``waiting_h``, the hours its repairs waited for spares to be delivered.
    ``drawn_kg`` ``(n_steps,)`` is the spare mass the repairs took from the stock per step.
    """

    working: list[np.ndarray]
    failures: list[int]
    final: list[bool]
    waiting_h: list[float]
    drawn_kg: np.ndarray


def repairs_from_stock(
    n_steps: int,
    step_h: float,
    components: list[dict],
    delivered_kg: np.ndarray,
    *,
    initial_kg: float = 0.0,
) -> RepairRecord:
    """Failures and repairs of ``components`` that share the spares stock, first come first served.

    Each of ``components`` is a dict with ``up_h`` (:func:`draw_up_times`), ``start_index``,
    ``mttr_h``, ``spares`` (its own, used first) and ``spare_mass_kg`` (drawn from the stock
    per repair once its own are used; 0: a failure then is final). ``delivered_kg`` is what
    arrives in the stock per step (available from the start of that step), ``initial_kg`` what
    it holds at the start. Failures are handled in time order: a repair with no spare on hand
    waits for the first delivery that covers it (after those already waiting), then takes
    ``mttr_h``; with none to come, the failure is final.
    """
    horizon_h = n_steps * step_h
    cumulative = initial_kg + np.cumsum(np.asarray(delivered_kg, dtype=float))
    drawn = np.zeros(n_steps)
    taken = 0.0  # spare mass taken so far, in time order
    state = []
    queue: list[tuple[float, int]] = []
    for i, c in enumerate(components):
        up = np.asarray(c["up_h"], dtype=float)
        state.append({"next": 0, "own": int(c["spares"]), "fail": [], "restore": [], "wait": 0.0})
        if len(up):
            heapq.heappush(queue, (c["start_index"] * step_h + up[0], i))
    while queue:
        t, i = heapq.heappop(queue)
        if t >= horizon_h:
            continue
        c, s = components[i], state[i]
        s["fail"].append(t)
        if s["own"] > 0:
            s["own"] -= 1
            ready = t
        elif c["spare_mass_kg"] > 0:
            need = taken + c["spare_mass_kg"] - 1e-9
            step = min(int(t // step_h), n_steps - 1)
            if cumulative[step] >= need:
                ready = t
            else:
                later = int(np.searchsorted(cumulative, need, side="left"))
                ready = later * step_h if later < n_steps else np.inf
            if np.isfinite(ready):
                taken += c["spare_mass_kg"]
                drawn[min(int(ready // step_h), n_steps - 1)] += c["spare_mass_kg"]
                s["wait"] += ready - t
        else:
            ready = np.inf
        restore = ready + c["mttr_h"]
        s["restore"].append(restore)
        s["next"] += 1
        up = c["up_h"]
        if np.isfinite(restore) and s["next"] < len(up):
            heapq.heappush(queue, (restore + up[s["next"]], i))
    working, failures, final, waiting = [], [], [], []
    for c, s in zip(components, state, strict=True):
        offset = c["start_index"] * step_h
        fail = np.asarray(s["fail"]) - offset
        restore = np.asarray(s["restore"]) - offset
        working.append(outages(n_steps, step_h, c["start_index"], fail, restore))
        failures.append(len(s["fail"]))
        final.append(bool(len(s["restore"]) and np.isinf(s["restore"][-1])))
        waiting.append(float(min(s["wait"], horizon_h)))
    return RepairRecord(working, failures, final, waiting, drawn)
