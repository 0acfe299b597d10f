"""CP-SAT experiment scheduler: optional intervals on window calendars, cumulative resources.

Model (one concept per ``_add_*`` method):

* each run ``j`` is an optional fixed-size interval; its start's domain is the set of allowed
  starts (windows open and capacity sufficient for the whole run, see
  :mod:`moonbase.science.instance`), so windows cost no extra constraint;
* each resource is a cumulative constraint; the time-varying capacity is a constant
  ``max(capacity)`` minus fixed "reserved" intervals of height ``max - capacity(t)``;
* with a data buffer (:mod:`moonbase.science.buffer`) the downlink is not a cumulative: each run
  that makes data gets a literal per allowed start, and the buffer's level at the end of each
  bucket those runs can reach is a variable with ``level[t] >= level[t-1] + made[t] -
  downlink[t]`` and ``0 <= level[t] <= buffer`` (the last within the ceiling the later data
  leave);
* precedences (repeats in order with their gap, dependencies after the first run) hold when the
  successor runs, and the successor needs its predecessor;
* the objective is the weighted science value, less a fairness penalty if configured; or
  fairness is a hard band per period; re-planning fixes runs that started before ``now`` (they
  go on where a failure lowered the capacity under them, and nothing else is placed there),
  starts from what of the old plan still fits, and minimises first the number of previously
  planned runs that move or are dropped.

:func:`keep_most` answers the first half of that on its own (the most planned runs that can
stay, a small model even at years), for the window-by-window re-plan of
:mod:`moonbase.science.rolling`.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
from ortools.sat.python import cp_model

from moonbase.science.buffer import ceiling, overflow
from moonbase.science.buffer import levels as buffer_levels
from moonbase.science.greedy import greedy_starts
from moonbase.science.instance import (
    RESOURCE_SCALE,
    Instance,
    build_instance,
    fits_at,
    per_bucket_demand,
)
from moonbase.science.priced import better_greedy_starts, fill_priced
from moonbase.science.solution import (
    SHARE_SCALE,
    Schedule,
    SchedulerConfig,
    band_excess,
    job_starts,
    period_of_bucket,
    resource_use,
    runs_started,
    schedule_from_starts,
)
from moonbase.windows import Windows

__all__ = [
    "CpSatScheduler",
    "capacity_with_runs_under_way",
    "fill_from",
    "holding_runs_started",
    "keep_most",
    "kept_and_filled_starts",
    "kept_starts",
    "replan",
    "schedule_cpsat",
]


#: CP-SAT refuses a model whose objective could overflow 64-bit integers; keep clear of it.
_MAX_OBJECTIVE = 2**62


def _runs(mask: np.ndarray) -> list[list[int]]:
    """Closed intervals ``[lo, hi]`` of consecutive True values (:class:`Windows` on indices)."""
    return [[lo, hi] for lo, hi in Windows.from_flags(mask).index_pairs()]


class CpSatScheduler:
    """Builds and solves the CP-SAT model of an :class:`Instance`.

    ``previous`` and ``now_bucket`` turn it into a re-planner: runs of ``previous`` that started
    before ``now_bucket`` are kept as they were, nothing else may start before ``now_bucket``,
    and moving or dropping a run that ``previous`` planned costs more than any value it could
    buy (``disruption_weight=None``), or ``disruption_weight`` value points each.
    ``hint_starts`` (per run, ``-1``: left out; feasible) replaces the greedy warm start, and is
    what :meth:`solve` returns if CP-SAT finds nothing better in time. ``usage_offset``
    ``(partners, periods)``: utilisation delivered by runs outside the model (the rest of a
    larger schedule around a window), counted in the fairness shares; fairness then covers only
    the periods in which some run of the model can start. ``required`` (per run, bool): runs
    that must be scheduled (something outside the model depends on them). ``planned_starts``
    (per run, ``-1``: none), instead of ``previous``: the starts of a plan in force around a
    window of a larger re-plan; moving or dropping one costs as with ``previous``.
    ``soft_band`` (with ``fairness="band"``; for re-planning, where the work done may already
    hold a share outside its band, and for a window of a larger schedule): each share's excess
    outside its band (:func:`moonbase.science.solution.band_excess`) costs more than all the
    rest (moves and value), instead of being forbidden.
    """

    def __init__(
        self,
        instance: Instance,
        config: SchedulerConfig | None = None,
        *,
        previous: Schedule | None = None,
        now_bucket: int = 0,
        disruption_weight: float | None = None,
        hint_starts: np.ndarray | None = None,
        usage_offset: np.ndarray | None = None,
        required: np.ndarray | None = None,
        planned_starts: np.ndarray | None = None,
        soft_band: bool = False,
    ):
        self.instance = instance
        self.hint_starts = hint_starts
        self.usage_offset = usage_offset
        self.required = np.zeros(instance.n_jobs, bool) if required is None else required
        self.config = config or SchedulerConfig()
        self.previous = previous
        self.now_bucket = int(now_bucket)
        self.disruption_weight = disruption_weight
        self.model = cp_model.CpModel()
        self.present: list = []
        self.start: list = []
        self.intervals: list = []
        self.penalty_terms: list = []
        self.soft_band = soft_band
        self.band_terms: list = []  # excess outside the band (soft_band)
        self.band_most = 0  # the most the band terms can sum to
        self.moved: list = []
        self.runs: list[list[list[int]]] = []  # start domain of each run, as closed intervals
        self.forced_moves = 0
        self.fixed: set[int] = set()
        self.capacity = instance.capacity  # raised where runs under way overrun (re-planning)
        self.overruns: list[str] = []
        self.hint: np.ndarray | None = None
        self.start_literals: dict[int, tuple[np.ndarray, list]] = {}  # data buffer only
        self.levels: tuple[int, list] | None = None  # first bucket, level variables
        if previous is not None:
            self.previous_starts = job_starts(instance, previous)
        elif planned_starts is not None:
            self.previous_starts = np.asarray(planned_starts, dtype=np.int64)
        else:
            self.previous_starts = np.full(instance.n_jobs, -1, dtype=np.int64)

    # --- variables -------------------------------------------------------------------------
    def _add_runs(self) -> None:
        inst, now = self.instance, self.now_bucket
        for j in range(inst.n_jobs):
            allowed = inst.start_ok[j].copy()
            allowed[:now] = False
            fixed = 0 <= self.previous_starts[j] < now
            if fixed:
                self.fixed.add(j)
                allowed[:] = False
                allowed[self.previous_starts[j]] = True
            runs = _runs(allowed)
            self.runs.append(runs)
            if not runs:
                present = self.model.new_constant(0)
                start = self.model.new_constant(0)
            else:
                must = fixed or self.required[j]
                present = self.model.new_constant(1) if must else self.model.new_bool_var(f"x{j}")
                domain = cp_model.Domain.from_intervals(runs)
                start = self.model.new_int_var_from_domain(domain, f"s{j}")
            d = int(inst.duration[j])
            self.present.append(present)
            self.start.append(start)
            self.intervals.append(
                self.model.new_optional_fixed_size_interval_var(start, d, present, f"i{j}")
            )

    # --- constraints -----------------------------------------------------------------------
    def _allow_runs_under_way(self) -> None:
        """Runs under way at ``now_bucket`` go on even where the new capacity is lower (see
        :func:`capacity_with_runs_under_way`)."""
        if self.previous is not None:
            self.capacity, self.overruns = capacity_with_runs_under_way(
                self.instance, self.previous, self.now_bucket
            )

    def _add_resources(self) -> None:
        inst = self.instance
        for r, name in enumerate(inst.resource_names):
            users = np.flatnonzero(inst.demand[:, r] > 0)
            if users.size == 0:
                continue
            if r == inst.buffered:
                self._add_buffer(users)
                continue
            cap = self.capacity[r]
            top = int(cap.max())
            intervals = [self.intervals[j] for j in users]
            demands = [int(inst.demand[j, r]) for j in users]
            reserved = top - cap
            for lo, hi in _runs(reserved > 0):
                # split the run where the reserved amount changes
                values = reserved[lo : hi + 1]
                cuts = np.flatnonzero(np.diff(values)) + 1
                for a, b in zip(
                    np.concatenate(([0], cuts)), np.concatenate((cuts, [values.size])), strict=True
                ):
                    intervals.append(
                        self.model.new_fixed_size_interval_var(
                            lo + int(a), int(b - a), f"cap_{name}_{lo + a}"
                        )
                    )
                    demands.append(int(values[a]))
            self.model.add_cumulative(intervals, demands, top)

    def _add_buffer(self, users: np.ndarray) -> None:
        """The downlink with a data buffer (see the module docstring)."""
        inst = self.instance
        b = inst.buffered
        made = []
        for j in users:
            if not self.runs[j]:
                continue
            starts = np.concatenate([np.arange(lo, hi + 1) for lo, hi in self.runs[j]])
            literals = [self.model.new_bool_var(f"x{j}_{s}") for s in starts]
            self.model.add(sum(literals) == self.present[j])
            self.model.add(
                self.start[j] == sum(int(s) * x for s, x in zip(starts, literals, strict=True))
            ).only_enforce_if(self.present[j])
            self.start_literals[int(j)] = (starts, literals)
            rate, d = int(inst.demand[j, b]), int(inst.duration[j])
            made += [(int(s), d, rate * x) for s, x in zip(starts, literals, strict=True)]
        if made:
            self.levels = _add_levels(self.model, self.capacity[b], inst.data_buffer_mbit, made)

    def _add_energy_cuts(self, max_supports: int = 256) -> None:
        """Redundant energy bounds that tighten the LP relaxation (and so the reported bound).

        A run can only use buckets of its *support* (the union of its possible spans). For each
        distinct support ``S`` (at most ``max_supports``) and resource ``r``, the energy of the
        runs whose support lies inside ``S`` cannot exceed ``sum over S of capacity_r`` (plus,
        for the downlink with a data buffer, one buffer per stretch of consecutive buckets).
        """
        inst = self.instance
        if inst.n_jobs == 0 or not inst.resource_names:
            return
        supports = np.zeros((inst.n_jobs, inst.n_buckets), dtype=bool)
        for j, runs in enumerate(self.runs):
            d = int(inst.duration[j])
            for lo, hi in runs:
                supports[j, lo : hi + d] = True
        distinct, owner = np.unique(supports, axis=0, return_inverse=True)
        owner = owner.reshape(-1)
        if len(distinct) > max_supports:  # keep the supports shared by most runs
            keep = np.argsort(-np.bincount(owner))[:max_supports]
            distinct_kept = distinct[keep]
        else:
            distinct_kept = distinct
        # inside[k, m]: distinct support m lies inside kept support k
        outside = (~distinct_kept).astype(np.float32) @ distinct.T.astype(np.float32)
        inside = outside == 0
        energy = inst.demand * inst.duration[:, None]  # (J, R)
        for k in range(len(distinct_kept)):
            members = np.flatnonzero(inside[k][owner])
            if members.size < 2:
                continue
            for r in range(len(inst.resource_names)):
                used = members[energy[members, r] > 0]
                total = int(self.capacity[r][distinct_kept[k]].sum())
                if r == inst.buffered:
                    total += inst.data_buffer_mbit * len(_runs(distinct_kept[k]))
                if used.size < 2 or energy[used, r].sum() <= total:
                    continue
                self.model.add(sum(int(energy[j, r]) * self.present[j] for j in used) <= total)

    def _add_precedences(self) -> None:
        inst = self.instance
        for p, q, gap in inst.precedences:
            p, q = int(p), int(q)
            self.model.add(
                self.start[q] >= self.start[p] + int(inst.duration[p]) + int(gap)
            ).only_enforce_if(self.present[q])
            self.model.add_implication(self.present[q], self.present[p])

    def _period_usage(self):
        """Utilisation per (partner, period) as linear expressions (plus ``usage_offset``), the
        period totals, the periods fairness covers, and the most each expression can reach."""
        inst, cfg = self.instance, self.config
        period_of = period_of_bucket(inst.n_buckets, inst.bucket_hours, cfg.fairness_period_days)
        n_periods = int(period_of[-1]) + 1
        first = np.searchsorted(period_of, np.arange(n_periods), side="left")
        last = np.searchsorted(period_of, np.arange(n_periods), side="right") - 1
        terms = [[[] for _ in range(n_periods)] for _ in inst.partner_ids]
        peak = np.zeros((len(inst.partner_ids), n_periods), dtype=np.int64)
        reached = np.zeros(n_periods, dtype=bool)
        for j in range(inst.n_jobs):
            if not self.runs[j]:
                continue
            periods = sorted(
                {p for lo, hi in self.runs[j] for p in range(period_of[lo], period_of[hi] + 1)}
            )
            reached[periods] = True
            u, i = int(inst.utilisation[j]), int(inst.job_partner[j])
            peak[i, periods] += u
            if len(periods) == 1:
                terms[i][periods[0]].append(u * self.present[j])
                continue
            literals = []
            for p in periods:
                lit = self.model.new_bool_var(f"x{j}_p{p}")
                self.model.add(self.start[j] >= int(first[p])).only_enforce_if(lit)
                self.model.add(self.start[j] <= int(last[p])).only_enforce_if(lit)
                literals.append(lit)
                terms[i][p].append(u * lit)
            self.model.add(sum(literals) == self.present[j])
        offset = np.zeros((len(inst.partner_ids), n_periods), dtype=np.int64)
        if self.usage_offset is None:
            reached[:] = True
        else:
            offset[:] = np.asarray(self.usage_offset, dtype=np.int64)
        usage = [
            [int(offset[i, p]) + sum(row[p]) for p in range(n_periods)]
            for i, row in enumerate(terms)
        ]
        totals = [sum(usage[i][p] for i in range(len(usage))) for p in range(n_periods)]
        return usage, totals, np.flatnonzero(reached), int(offset.sum()), peak + offset

    def _add_fairness(self) -> None:
        inst, cfg = self.instance, self.config
        if cfg.fairness == "none":
            return
        entitled = [i for i, e in enumerate(inst.entitlement) if np.isfinite(e)]
        if not entitled:
            return
        usage, totals, periods, outside, peak = self._period_usage()
        tol = round(cfg.fairness_tolerance * SHARE_SCALE)
        most = SHARE_SCALE * (int(inst.utilisation.sum()) + outside)
        for i in entitled:
            e = round(float(inst.entitlement[i]) * SHARE_SCALE)
            for p in periods:
                scaled = SHARE_SCALE * usage[i][p]
                if cfg.fairness == "band" and self.soft_band:
                    # in utilisation units, rounded up, and no larger than the shares allow:
                    # the excess weighs more than all the rest of the objective
                    top_over = int(peak[i, p])
                    top_under = -(-max(0, e - tol) * int(peak[:, p].sum()) // SHARE_SCALE)
                    over = self.model.new_int_var(0, top_over, f"over_{i}_{p}")
                    under = self.model.new_int_var(0, top_under, f"under_{i}_{p}")
                    self.model.add(SHARE_SCALE * over >= scaled - (e + tol) * totals[p])
                    self.model.add(SHARE_SCALE * under >= (e - tol) * totals[p] - scaled)
                    self.band_terms += [over, under]
                    self.band_most += top_over + top_under
                elif cfg.fairness == "band":
                    self.model.add(scaled <= (e + tol) * totals[p])
                    self.model.add(scaled >= (e - tol) * totals[p])
                else:
                    dev = self.model.new_int_var(0, most, f"dev_{i}_{p}")
                    self.model.add(dev >= scaled - e * totals[p])
                    self.model.add(dev >= e * totals[p] - scaled)
                    self.penalty_terms.append(dev)

    def _add_disruption(self) -> None:
        for j, s in enumerate(self.previous_starts):
            if s < self.now_bucket:
                continue
            if not self.runs[j]:
                self.forced_moves += 1
                continue
            kept = self.model.new_bool_var(f"kept{j}")
            self.model.add(self.start[j] == int(s)).only_enforce_if(kept)
            self.model.add_implication(kept, self.present[j])
            self.moved.append(kept.Not())

    def _add_objective(self) -> None:
        inst, cfg = self.instance, self.config
        value = sum(int(w) * x for w, x in zip(inst.weight, self.present, strict=True))
        # dev is in units of 1/(10,000 * 100) of an average run; a deviation of one average run
        # costs fairness_weight value points (100 weight units): with the objective scaled by
        # 100,000 that is 10 * fairness_weight per unit of dev.
        penalty_scale = round(cfg.fairness_weight * 10) if self.penalty_terms else 0
        scale = 100_000 if penalty_scale else 1
        objective = scale * value
        span = scale * int(inst.weight.sum())  # the most the objective so far can change
        if penalty_scale:
            objective = objective - penalty_scale * sum(self.penalty_terms)
            span += (
                penalty_scale * len(self.penalty_terms) * SHARE_SCALE * int(inst.utilisation.sum())
            )
        if self.moved:
            if self.disruption_weight is None:  # a move costs more than all the rest
                big = span + 1
            else:
                big = round(self.disruption_weight * 100) * scale
            objective = objective - big * sum(self.moved)
            span += big * len(self.moved)
        if self.band_terms:  # outside the band costs more than all the rest
            objective = objective - (span + 1) * sum(self.band_terms)
            span += (span + 1) * self.band_most
        if span >= _MAX_OBJECTIVE:
            raise ValueError(
                "the objective's terms are too large for CP-SAT's 64-bit integers "
                f"({span:.3g}): schedule this many runs window by window "
                "(moonbase.science.rolling)"
            )
        self.objective_scale = scale
        self.model.maximize(objective)

    def _add_hint(self) -> None:
        inst = self.instance
        if self.previous is not None:
            hint = _kept_and_filled(inst, self.previous_starts, self.now_bucket, self.capacity)
        elif self.hint_starts is not None:
            hint = np.asarray(self.hint_starts, dtype=np.int64)
        elif self.config.greedy_hint and self.config.fairness != "none":
            hint = greedy_starts(inst, fair=True)
        elif self.config.greedy_hint:
            hint = better_greedy_starts(inst)
        else:
            return
        self.hint = hint
        self._hint_buffer(hint)
        for j in range(inst.n_jobs):
            if not self.runs[j] or j in self.fixed:
                continue
            if hint[j] >= 0:
                if not self.required[j]:  # a required run's presence is a constant
                    self.model.add_hint(self.present[j], True)
                self.model.add_hint(self.start[j], int(hint[j]))
            else:
                self.model.add_hint(self.present[j], False)

    def _hint_buffer(self, hint: np.ndarray) -> None:
        """The start literals and the buffer levels of the hinted schedule."""
        if self.levels is None:
            return
        for j, (starts, literals) in self.start_literals.items():
            for s, x in zip(starts, literals, strict=True):
                self.model.add_hint(x, bool(s == hint[j]))
        b = self.instance.buffered
        use = resource_use(self.instance, hint, np.flatnonzero(hint >= 0))[b]
        lo, variables = self.levels
        hinted = buffer_levels(self.capacity[b] - use)[lo : lo + len(variables)]
        for var, level in zip(variables, hinted, strict=True):
            self.model.add_hint(var, int(level))

    def build(self) -> cp_model.CpModel:
        """Add every part of the model (once) and return it."""
        if self.present:
            return self.model
        self._add_runs()
        self._allow_runs_under_way()
        self._add_resources()
        if self.config.energy_cuts:
            self._add_energy_cuts()
        self._add_precedences()
        self._add_fairness()
        self._add_disruption()
        self._add_objective()
        self._add_hint()
        return self.model

    def solve(self, callback: cp_model.CpSolverSolutionCallback | None = None) -> Schedule:
        """Build the model, solve it, and return the schedule with the solver's bound.

        ``callback`` (optional) sees every improving solution, e.g. to time the gap.
        """
        began = time.perf_counter()
        self.build()
        solver = cp_model.CpSolver()
        cfg = self.config
        solver.parameters.max_time_in_seconds = cfg.time_limit_s
        if cfg.work_limit is not None:
            solver.parameters.max_deterministic_time = cfg.work_limit
        solver.parameters.num_workers = cfg.workers
        solver.parameters.random_seed = cfg.seed
        solver.parameters.relative_gap_limit = cfg.relative_gap
        solver.parameters.log_search_progress = cfg.log
        status = solver.solve(self.model, callback)
        name = solver.status_name(status)
        n = self.instance.n_jobs
        starts = np.full(n, -1, dtype=np.int64)
        extra = {}
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            for j in range(n):
                if self.runs[j] and solver.value(self.present[j]):
                    starts[j] = solver.value(self.start[j])
            scale = self.objective_scale * 100.0
            extra = {
                "objective": solver.objective_value / scale,
                "objective_bound": solver.best_objective_bound / scale,
            }
            if not self.penalty_terms and not self.moved and not self.band_terms:
                extra["bound"] = solver.best_objective_bound / scale
            if self.previous is not None:
                moved = sum(solver.boolean_value(m) for m in self.moved)
                extra["moved"] = int(moved) + self.forced_moves
        solver_name = "cpsat"
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) and self.hint is not None:
            # No solution within the limit (a large model on a slow machine): hand back the
            # warm start, which is feasible by construction, and say so.
            starts = self.hint.copy()
            if self.previous is None:
                solver_name = "greedy (cpsat found no solution in time)"
            else:
                solver_name = "kept what fits, filled (cpsat found no solution in time)"
                planned = self.previous_starts >= self.now_bucket
                extra["moved"] = int(np.sum(planned & (starts != self.previous_starts)))
        if self.previous is not None:
            extra["overruns"] = list(self.overruns)
        return schedule_from_starts(
            self.instance,
            starts,
            solver=solver_name,
            status=name,
            wall_s=time.perf_counter() - began,
            **extra,
        )


def _add_levels(model, residual: np.ndarray, buffer: int, made: list) -> tuple[int, list]:
    """Buffer level variables over the buckets the model's runs make data in: ``made`` lists
    ``(start, duration, data per bucket)`` (an expression: a rate times a literal), on top of
    ``residual`` (the downlink less the data of everything else). The level before the first
    such bucket is that of ``residual`` alone, each level is at least the last plus what is made
    less what can be sent, at most ``buffer``, and the last at most the ceiling the later data
    leave (:func:`moonbase.science.buffer.ceiling`). Returns the first bucket and the levels.
    """
    lo = min(s for s, _, _ in made)
    hi = max(s + d for s, d, _ in made) - 1
    per_bucket = [[] for _ in range(lo, hi + 1)]
    for s, d, expr in made:
        for t in range(s, s + d):
            per_bucket[t - lo].append(expr)
    last = int(buffer_levels(residual)[lo - 1]) if lo > 0 else 0
    top = int(ceiling(residual, buffer)[hi])
    variables = []
    for t, terms in zip(range(lo, hi + 1), per_bucket, strict=True):
        level = model.new_int_var(0, max(0, buffer if t < hi else top), f"level{t}")
        model.add(level >= last + sum(terms) - int(residual[t]))
        variables.append(level)
        last = level
    return lo, variables


def schedule_cpsat(instance: Instance, config: SchedulerConfig | None = None) -> Schedule:
    """Schedule ``instance`` with CP-SAT (see :class:`CpSatScheduler`)."""
    return CpSatScheduler(instance, config).solve()


def capacity_with_runs_under_way(
    instance: Instance, previous: Schedule, now_bucket: int
) -> tuple[np.ndarray, list[str]]:
    """The capacity ``(R, B)`` left for a re-plan of ``previous`` from ``now_bucket`` on, with
    the runs under way at ``now_bucket`` going on, and a line for each bucket where they overrun
    the new capacity (a failure while they run).

    Runs under way that the new problem still holds stay in the schedule: the capacity is raised
    to their use where they overrun, so that, filling it exactly, they leave nothing to others
    there. Runs under way that the new problem rejects cannot be in the new schedule, but they
    still run to their end: their use (from the request as it is now, from ``now_bucket`` to the
    end the old schedule gave them) is held back from the capacity. A run of a request no longer
    in the problem at all has no known use and is not held back.
    """
    inst = instance
    previous_starts = job_starts(inst, previous)
    under_way = np.flatnonzero((previous_starts >= 0) & (previous_starts < now_bucket))
    use = resource_use(inst, previous_starts, under_way)
    held_back, others = _use_of_runs_not_held(inst, previous, now_bucket)
    left = inst.capacity - held_back
    over = use > left
    raised = np.maximum(left, use)
    lost = None
    if inst.buffered is not None:  # what the buffer cannot hold waits nowhere: an overrun
        r = inst.buffered
        lost = overflow(left[r] - use[r], inst.data_buffer_mbit)
        over[r] = lost > 0
        raised[r] = left[r] + lost
    overruns = []
    for r, b in zip(*np.nonzero(over), strict=True):
        name = inst.resource_names[r]
        scale = RESOURCE_SCALE[name]
        runs = [
            inst.job_id(j)
            for j in under_way
            if previous_starts[j] <= b < previous_starts[j] + inst.duration[j]
            and inst.demand[j, r] > 0
        ] + [run for run, lo, hi, need in others if lo <= b < hi and need[r] > 0]
        if r == inst.buffered:
            overruns.append(
                f"{name}: bucket {b}: the data buffer overflows by {lost[b] / scale:g} with "
                f"run(s) under way {', '.join(runs) or '(earlier data waiting)'}; the new "
                f"capacity is {inst.capacity[r, b] / scale:g}"
            )
            continue
        overruns.append(
            f"{name}: bucket {b} needs {(use[r, b] + held_back[r, b]) / scale:g} for run(s) "
            f"under way {', '.join(runs)}; the new capacity is {inst.capacity[r, b] / scale:g}"
        )
    return raised, overruns


def _use_of_runs_not_held(instance: Instance, previous: Schedule, now_bucket: int):
    """Use ``(R, B)``, from ``now_bucket`` to their end, of the runs of ``previous`` under way at
    ``now_bucket`` that the new problem does not hold though their request is still in it
    (rejected, or the repeat no longer asked for); and those runs as ``(run, now_bucket, end
    bucket, demand (R,))``."""
    held = instance.run_keys()
    requests = {}
    for request in instance.problem.requests:
        requests.setdefault(request.id, request)  # a later duplicate id is rejected
    use = np.zeros_like(instance.capacity)
    runs = []
    for a in previous.assignments:
        end = min(a.start_bucket + a.duration_buckets, instance.n_buckets)
        request = requests.get(a.request_id)
        if (a.request_id, a.repeat) in held or request is None:
            continue
        if not a.start_bucket < now_bucket < end:
            continue
        demand = per_bucket_demand(request, instance.bucket_hours)
        need = np.array([demand[name] for name in instance.resource_names], dtype=np.int64)
        use[:, now_bucket:end] += need[:, None]  # what is left of it
        runs.append((f"{a.request_id}#{a.repeat}", now_bucket, end, need))
    return use, runs


def kept_starts(instance: Instance, previous: Schedule, now_bucket: int) -> np.ndarray:
    """What stays of ``previous`` under the new ``instance``, as starts (``-1``: dropped).

    Runs that started before ``now_bucket`` stay, whatever the new capacity (they are done or
    under way). Each later run, in the order of its old start, stays at its old start if its
    windows are open there, the capacity the runs kept so far leave has room for it, and its
    predecessors stay and end in time; otherwise it is dropped. The result is feasible under
    the new resources except where runs under way overrun them (see
    :func:`capacity_with_runs_under_way`); :func:`replan` starts from it.
    """
    starts = job_starts(instance, previous)
    capacity, _ = capacity_with_runs_under_way(instance, previous, now_bucket)
    return _kept(instance, starts, now_bucket, capacity)


def kept_and_filled_starts(instance: Instance, previous: Schedule, now_bucket: int) -> np.ndarray:
    """:func:`kept_starts`, with the runs it leaves out added from ``now_bucket`` on where they
    fit (price-guided greedy; the kept runs stay): where :func:`replan` starts, and what it
    returns if CP-SAT finds nothing in time."""
    starts = job_starts(instance, previous)
    capacity, _ = capacity_with_runs_under_way(instance, previous, now_bucket)
    return _kept_and_filled(instance, starts, now_bucket, capacity)


def _kept_and_filled(instance: Instance, previous_starts, now_bucket: int, capacity) -> np.ndarray:
    kept = _kept(instance, previous_starts, now_bucket, capacity)
    return fill_from(instance, kept, now_bucket, capacity)


def keep_most(
    instance: Instance,
    previous_starts: np.ndarray,
    now_bucket: int,
    capacity: np.ndarray,
    config: SchedulerConfig | None = None,
) -> tuple[np.ndarray, int]:
    """The most planned runs that can stay where they are, and the fewest that must move.

    A re-plan moves a planned run (one of ``previous_starts`` from ``now_bucket`` on) or drops
    it, or keeps it at its start; runs not kept may always be dropped. So the fewest moves of
    any re-plan are those of the largest set of planned runs that fit at their planned starts
    in ``capacity`` (with the overruns of runs under way, see
    :func:`capacity_with_runs_under_way`), each with its windows open and its predecessors kept
    (or done). CP-SAT chooses that set (within ``config``'s limits; it starts from
    :func:`kept_starts`' choice). Returns the starts (runs before ``now_bucket`` as they were,
    kept runs, ``-1`` for the rest) and CP-SAT's bound on the fewest moves (their number, if
    it proved the set largest).
    """
    cfg = config or SchedulerConfig()
    inst = instance
    greedy = _kept(inst, previous_starts, now_bucket, capacity)
    started = (previous_starts >= 0) & (previous_starts < now_bucket)
    planned = np.flatnonzero(previous_starts >= now_bucket)
    ends = previous_starts + inst.duration
    inside = planned[ends[planned] <= inst.n_buckets]
    fits = np.zeros(inst.n_jobs, dtype=bool)
    fits[inside] = inst.start_ok[inside, previous_starts[inside]]
    model = cp_model.CpModel()
    keep = {int(j): model.new_bool_var(f"k{j}") for j in np.flatnonzero(fits)}
    left = capacity - resource_use(inst, previous_starts, np.flatnonzero(started))
    candidates = np.array(sorted(keep), dtype=np.int64)
    wanted = resource_use(inst, previous_starts, candidates)
    over = wanted > left
    if inst.buffered is not None:
        r = inst.buffered
        over[r] = False
        _keep_within_buffer(model, inst, keep, candidates, previous_starts, left[r], wanted[r])
    for r, b in zip(*np.nonzero(over), strict=True):
        users = candidates[
            (previous_starts[candidates] <= b)
            & (ends[candidates] > b)
            & (inst.demand[candidates, r] > 0)
        ]
        model.add(sum(int(inst.demand[j, r]) * keep[int(j)] for j in users) <= int(left[r, b]))
    for p, q, gap in inst.precedences:
        p, q = int(p), int(q)
        if q not in keep:
            continue
        if ends[p] + gap > previous_starts[q] or not (started[p] or p in keep):
            model.add(keep[q] == 0)  # its predecessor is not kept, or ends too late for it
        elif p in keep:
            model.add_implication(keep[q], keep[p])
    for j, var in keep.items():
        model.add_hint(var, bool(greedy[j] >= 0))
    model.maximize(sum(keep.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = cfg.time_limit_s
    if cfg.work_limit is not None:
        solver.parameters.max_deterministic_time = cfg.work_limit
    solver.parameters.num_workers = cfg.workers
    solver.parameters.random_seed = cfg.seed
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return greedy, 0
    kept = np.where(started, previous_starts, -1)
    for j, var in keep.items():
        if solver.boolean_value(var):
            kept[j] = previous_starts[j]
    return kept, planned.size - int(np.floor(solver.best_objective_bound + 1e-9))


def _keep_within_buffer(model, instance, keep, candidates, starts, residual, wanted) -> None:
    """:func:`keep_most`'s limit on the runs kept, if the data buffer would overflow with all
    of them (``wanted``: their data per bucket): buffer levels with what the kept ones make
    (:func:`_add_levels`)."""
    b, buffer = instance.buffered, instance.data_buffer_mbit
    if not np.any(buffer_levels(residual - wanted) > buffer):
        return
    made = [
        (int(starts[j]), int(instance.duration[j]), int(instance.demand[j, b]) * keep[int(j)])
        for j in candidates
        if instance.demand[j, b] > 0
    ]
    if made:
        _add_levels(model, residual, buffer, made)


def _kept(instance: Instance, previous_starts, now_bucket: int, capacity) -> np.ndarray:
    """:func:`kept_starts` from the previous starts and the capacity with the overruns."""
    started = (previous_starts >= 0) & (previous_starts < now_bucket)
    kept = np.where(started, previous_starts, -1)
    left = capacity - resource_use(instance, kept, np.flatnonzero(started))
    preds = instance.predecessors()
    later = np.flatnonzero(previous_starts >= now_bucket)
    for j in later[np.argsort(previous_starts[later], kind="stable")]:
        s, d = int(previous_starts[j]), int(instance.duration[j])
        if s + d > instance.n_buckets or not instance.start_ok[j, s]:
            continue
        if any(kept[p] < 0 or kept[p] + instance.duration[p] + gap > s for p, gap in preds[j]):
            continue
        if not fits_at(instance, left, instance.demand[j], d, s):
            continue
        kept[j] = s
        left[:, s : s + d] -= instance.demand[j][:, None]
    return kept


def fill_from(
    instance: Instance, starts: np.ndarray, now_bucket: int, capacity: np.ndarray
) -> np.ndarray:
    """``starts`` with left-out runs added from ``now_bucket`` on where ``capacity`` ``(R, B)``
    has room (price-guided greedy); the runs placed stay."""
    later = instance.start_ok & (np.arange(instance.n_buckets) >= now_bucket)[None, :]
    residual = capacity - resource_use(instance, starts, np.flatnonzero(starts >= 0))
    return fill_priced(replace(instance, start_ok=later), starts, residual)


def holding_runs_started(instance: Instance, previous: Schedule, now_bucket: int) -> Instance:
    """``instance``, or, where it rejected the request of a run of ``previous`` that started
    before ``now_bucket`` for want of room or open windows, the instance built again from its
    problem with those runs held (``build_instance(..., started=...)``): work done or under way
    stays in a re-plan whatever the station offers now."""
    started = runs_started(previous, now_bucket)
    if started.keys() <= instance.run_keys():
        return instance
    rebuilt = build_instance(instance.problem, started=started)
    held = len(instance.run_keys() & started.keys())
    return rebuilt if len(rebuilt.run_keys() & started.keys()) > held else instance


def replan(
    instance: Instance,
    previous: Schedule,
    now_bucket: int,
    config: SchedulerConfig | None = None,
    *,
    disruption_weight: float | None = None,
) -> Schedule:
    """Re-plan after the station changed (``instance`` holds the new resources and requests).

    Runs of ``previous`` that started before ``now_bucket`` stay exactly as they were (executed
    or under way), nothing new starts before ``now_bucket``, and the number of previously
    planned runs that move or are dropped (``Schedule.moved``) is minimised first, then the
    value is maximised (or, with ``disruption_weight``, each move costs that many value points).
    The changed resources should differ from the old ones only from ``now_bucket`` on. Runs
    under way at ``now_bucket`` go on where the new capacity is lower (a failure while they
    run); nothing else is placed there, and ``Schedule.overruns`` says where. The search starts
    from :func:`kept_starts` with the runs it leaves out added where they fit (price-guided
    greedy, from ``now_bucket`` on), which is also the result if CP-SAT finds nothing in time.
    Runs done or under way stay even where the new station has no room or window for them at
    all (:func:`holding_runs_started`). A fairness band is kept where the work done allows: how
    far the shares lie outside it is minimised before the moves, and the status is
    ``OUTSIDE_BAND`` if some excess is left.
    """
    cfg = config or SchedulerConfig()
    instance = holding_runs_started(instance, previous, now_bucket)
    result = CpSatScheduler(
        instance,
        cfg,
        previous=previous,
        now_bucket=now_bucket,
        disruption_weight=disruption_weight,
        soft_band=True,
    ).solve()
    solved = result.status in ("OPTIMAL", "FEASIBLE")
    if solved and band_excess(instance, job_starts(instance, result), cfg) > 0:
        result = result.model_copy(update={"status": "OUTSIDE_BAND"})
    return result
