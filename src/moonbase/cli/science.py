"""``moonbase science``: partner shares, experiment scheduling, and the data archive."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from moonbase.errors import InputError

app = typer.Typer(
    help="Science utilisation: partner shares, experiment schedules, data archive.",
    no_args_is_help=True,
)
archive_app = typer.Typer(help="The science data archive (embargo and access rules).")
app.add_typer(archive_app, name="archive")
console = Console()

_SOLVERS = ("cpsat", "greedy", "rolling", "both")
#: SchedulerConfig field -> the option that sets it
_CONFIG_OPTIONS = {
    "time_limit_s": "--time-limit-s",
    "relative_gap": "--gap",
    "fairness_tolerance": "--tolerance",
    "fairness_weight": "--fairness-weight",
    "fairness_period_days": "--period-days",
    "workers": "--workers",
    "work_limit": "--work-limit",
}
_FAIRNESS = ("none", "band", "penalty")
_MAX_REJECTIONS_SHOWN = 20
#: Beyond this many allowed (run, start) pairs (about two years of the synthetic campaign), one
#: CP-SAT model is slow to build and rarely improves on its warm start: suggest the windows.
_LARGE_MODEL_STARTS = 1_000_000


def _choice(value: str, options: tuple[str, ...], field: str) -> str:
    if value not in options:
        raise InputError(f"unknown value {value!r}", field=field, hint=f"choose one of {options}")
    return value


@app.command("shares")
def shares(
    preset: str | None = typer.Option(None, "--preset", help="A preset split: iss."),
    contributions: Path | None = typer.Option(
        None,
        "--contributions",
        help='JSON file {"partners": [ids], "contributions": [Contribution, ...]}.',
    ),
) -> None:
    """Partner shares of utilisation, from a preset or from contributions."""
    from moonbase.science.models import Contribution
    from moonbase.science.shares import (
        contribution_value_musd,
        preset_partners,
        shares_from_contributions,
    )

    if (preset is None) == (contributions is None):
        raise InputError(
            "give exactly one of --preset and --contributions",
            field="--preset/--contributions",
            hint="e.g. --preset iss",
        )
    table = Table(title="Utilisation shares", title_justify="left")
    table.add_column("partner")
    table.add_column("share", justify="right")
    if preset is not None:
        for partner in preset_partners(preset):
            table.add_row(partner.id, f"{100 * partner.entitlement:.1f} %")
    else:
        if not contributions.is_file():
            raise InputError(f"no file at {contributions}", field="--contributions")
        try:
            data = json.loads(contributions.read_text(encoding="utf-8"))
            items = [Contribution.model_validate(c) for c in data["contributions"]]
            partners = data["partners"]
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(
                f"cannot read contributions: {' '.join(str(error).split())[:200]}",
                field=str(contributions),
                hint='expected {"partners": [...], "contributions": [{"partner", "kind", ...}]}',
            ) from None
        result = shares_from_contributions(partners, items)
        table.add_column("value, M$", justify="right")
        for pid, share in result.items():
            total = sum(contribution_value_musd(c) for c in items if c.partner == pid)
            table.add_row(pid, f"{100 * share:.2f} %", f"{total:,.1f}")
    console.print(table)


@app.command("schedule")
def schedule(
    problem_file: Path | None = typer.Argument(
        None, help="Problem JSON (SchedulingProblem: partners, requests, resources)."
    ),
    demo: int | None = typer.Option(
        None, "--demo", help="Instead of a file, a synthetic problem with this many requests."
    ),
    demo_partners: int = typer.Option(5, "--demo-partners", help="Partners of --demo."),
    demo_days: int = typer.Option(365, "--demo-days", help="Campaign days of --demo."),
    demo_buffer_gbit: float = typer.Option(
        0.0, "--demo-buffer-gbit", help="Onboard data buffer of --demo (Gbit; 0: none)."
    ),
    solver: str = typer.Option(
        "both", "--solver", help="cpsat, greedy, both, or rolling (CP-SAT window by window)."
    ),
    window_days: float = typer.Option(30.0, "--window-days", help="Window of --solver rolling."),
    time_limit_s: float = typer.Option(30.0, "--time-limit-s", help="CP-SAT time limit."),
    gap: float = typer.Option(0.0, "--gap", help="Stop CP-SAT within this relative gap."),
    fairness: str = typer.Option("none", "--fairness", help="none, band or penalty."),
    tolerance: float = typer.Option(0.02, "--tolerance", help="Share band half-width (band)."),
    fairness_weight: float = typer.Option(1.0, "--fairness-weight", help="Penalty weight."),
    period_days: float = typer.Option(365.25, "--period-days", help="Fairness period."),
    seed: int = typer.Option(0, "--seed", help="Seed (CP-SAT and --demo)."),
    workers: int = typer.Option(2, "--workers", help="CP-SAT search workers (threads)."),
    work_limit: float | None = typer.Option(
        None,
        "--work-limit",
        help="CP-SAT deterministic work limit (per window with --solver rolling). "
        "With --workers 1 (and --time-limit-s not reached): the same schedule on any machine.",
    ),
    sweeps: int | None = typer.Option(
        None, "--sweeps", help="At most this many sweeps of --solver rolling."
    ),
    with_lp_bound: bool = typer.Option(
        False,
        "--lp-bound",
        help="Also bound the value by the LP relaxation (HiGHS; months of requests, not years).",
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the schedule (JSON) here."),
    report: Path | None = typer.Option(None, "--report", help="Write an HTML report here."),
) -> None:
    """Schedule experiment requests over the campaign; report rejected requests."""
    from moonbase.science.cpsat import schedule_cpsat
    from moonbase.science.files import read_model, write_model
    from moonbase.science.greedy import schedule_greedy
    from moonbase.science.instance import build_instance
    from moonbase.science.models import SchedulingProblem
    from moonbase.science.synthetic import synthetic_problem

    _choice(solver, _SOLVERS, "--solver")
    _choice(fairness, _FAIRNESS, "--fairness")
    if (problem_file is None) == (demo is None):
        raise InputError(
            "give a problem file or --demo N, not both",
            field="PROBLEM_FILE/--demo",
            hint="e.g. moonbase science schedule --demo 200",
        )
    if demo is not None:
        if demo < 1 or demo_partners < 1 or demo_days < 1:
            raise InputError("must be positive", field="--demo/--demo-partners/--demo-days")
        if not demo_buffer_gbit >= 0:
            raise InputError("must be zero or more", field="--demo-buffer-gbit")
        problem = synthetic_problem(
            demo, demo_partners, demo_days, seed=seed, data_buffer_gbit=demo_buffer_gbit
        )
    else:
        problem = read_model(problem_file, SchedulingProblem)
    config = _scheduler_config(
        time_limit_s=time_limit_s,
        relative_gap=gap,
        fairness=fairness,
        fairness_tolerance=tolerance,
        fairness_weight=fairness_weight,
        fairness_period_days=period_days,
        seed=seed,
        workers=workers,
        work_limit=work_limit,
    )
    if sweeps is not None and sweeps < 1:
        raise InputError("must be at least 1", field="--sweeps")
    instance = build_instance(problem)
    results = {}
    if solver in ("greedy", "both"):
        results["greedy"] = schedule_greedy(instance)
    if solver in ("cpsat", "both"):
        _suggest_windows_if_large(instance)
        with console.status(f"CP-SAT on {instance.n_jobs:,} runs (up to {time_limit_s:g} s)..."):
            results["cpsat"] = schedule_cpsat(instance, config)
    if solver == "rolling":
        from moonbase.science.rolling import schedule_rolling

        if window_days <= 0:
            raise InputError("must be positive", field="--window-days")
        label = f"CP-SAT window by window (up to {time_limit_s:g} s in all)"
        with console.status(label + "...") as status:

            def show(elapsed_s: float, value: float) -> None:
                status.update(f"{label}: value {value:,.1f} after {elapsed_s:.0f} s")

            results["cpsat-rolling"] = schedule_rolling(
                instance, config, window_days=window_days, sweeps=sweeps, progress=show
            )
    lp = None
    if with_lp_bound:
        from moonbase.science.bounds import lp_bound

        with console.status(f"LP relaxation (up to {time_limit_s:g} s)..."):
            try:
                lp = lp_bound(instance, time_limit_s=time_limit_s)
            except RuntimeError as error:
                console.print(f"[yellow]no LP bound: {error}[/]")
    _print_schedules(instance, results, lp)
    if out is not None:
        write_model(out, list(results.values())[-1])
        console.print(f"wrote {out}")
    if report is not None:
        from moonbase.report.html import write_report
        from moonbase.science.report import science_section

        write_report(report, "Science utilisation", [science_section(instance, results, lp)])
        console.print(f"wrote {report}")


@app.command()
def replan(
    problem_file: Path = typer.Argument(
        ..., help="Problem JSON with the station as it is now (resources, requests)."
    ),
    schedule_file: Path = typer.Option(
        ..., "--schedule", help="The schedule in force (JSON from science schedule --out)."
    ),
    now: str = typer.Option(
        ..., "--now", help="Re-plan from this time (UTC); runs that started before it stay."
    ),
    disruption_weight: float | None = typer.Option(
        None,
        "--disruption-weight",
        help="Value points one moved or dropped run costs (default: move as few as possible, "
        "then maximise the value).",
    ),
    solver: str = typer.Option(
        "cpsat",
        "--solver",
        help="cpsat (one model) or rolling (window by window, for campaigns of years).",
    ),
    window_days: float = typer.Option(30.0, "--window-days", help="Window of --solver rolling."),
    fairness: str = typer.Option("none", "--fairness", help="none, band or penalty."),
    tolerance: float = typer.Option(0.02, "--tolerance", help="Share band half-width (band)."),
    fairness_weight: float = typer.Option(1.0, "--fairness-weight", help="Penalty weight."),
    period_days: float = typer.Option(365.25, "--period-days", help="Fairness period."),
    time_limit_s: float = typer.Option(30.0, "--time-limit-s", help="CP-SAT time limit."),
    workers: int = typer.Option(2, "--workers", help="CP-SAT search workers (threads)."),
    work_limit: float | None = typer.Option(
        None, "--work-limit", help="CP-SAT deterministic work limit (see science schedule)."
    ),
    sweeps: int | None = typer.Option(
        None, "--sweeps", help="At most this many sweeps of --solver rolling."
    ),
    seed: int = typer.Option(0, "--seed", help="CP-SAT seed."),
    out: Path | None = typer.Option(None, "--out", help="Write the new schedule (JSON) here."),
    report: Path | None = typer.Option(None, "--report", help="Write an HTML report here."),
) -> None:
    """Re-plan after the station changed (a failure, a late element): work done or under way
    stays, and the fewest planned runs move."""
    import numpy as np

    from moonbase.science.cpsat import replan as replan_schedule
    from moonbase.science.files import read_model, write_model
    from moonbase.science.instance import build_instance
    from moonbase.science.models import SchedulingProblem
    from moonbase.science.solution import Schedule, job_starts, runs_started

    _choice(solver, ("cpsat", "rolling"), "--solver")
    _choice(fairness, _FAIRNESS, "--fairness")
    problem = read_model(problem_file, SchedulingProblem)
    previous = read_model(schedule_file, Schedule)
    if disruption_weight is not None and disruption_weight < 0:
        raise InputError("must be zero or more", field="--disruption-weight")
    if window_days <= 0:
        raise InputError("must be positive", field="--window-days")
    if sweeps is not None and sweeps < 1:
        raise InputError("must be at least 1", field="--sweeps")
    config = _scheduler_config(
        time_limit_s=time_limit_s,
        fairness=fairness,
        fairness_tolerance=tolerance,
        fairness_weight=fairness_weight,
        fairness_period_days=period_days,
        workers=workers,
        work_limit=work_limit,
        seed=seed,
    )
    now_bucket = _bucket_of(problem.resources, now)
    instance = build_instance(problem, started=runs_started(previous, now_bucket))
    doing = f"Re-planning {instance.n_jobs:,} runs from bucket {now_bucket}"
    if solver == "cpsat":
        _suggest_windows_if_large(instance)
    with console.status(f"{doing} (up to {time_limit_s:g} s)...") as status:
        if solver == "cpsat":
            result = replan_schedule(
                instance, previous, now_bucket, config, disruption_weight=disruption_weight
            )
        else:
            from moonbase.science.rolling import replan_by_windows

            def show(elapsed_s: float, value: float) -> None:
                status.update(
                    f"{doing} window by window: value {value:,.1f} after {elapsed_s:.0f} s"
                )

            result = replan_by_windows(
                instance,
                previous,
                now_bucket,
                config,
                disruption_weight=disruption_weight,
                window_days=window_days,
                sweeps=sweeps,
                progress=show,
            )
    before, after = job_starts(instance, previous), job_starts(instance, result)
    planned = before >= now_bucket
    lost = _runs_not_held(instance, previous, now_bucket)
    counts = {
        "done or under way, kept": int(np.sum((before >= 0) & (before < now_bucket))),
        "done or under way, lost (see below)": sum(state != "planned" for *_, state, _ in lost),
        "planned, kept in place": int(np.sum(planned & (after == before))),
        "planned, moved": int(np.sum(planned & (after >= 0) & (after != before))),
        "planned, dropped": int(np.sum(planned & (after < 0)))
        + sum(state == "planned" for *_, state, _ in lost),
        "added": int(np.sum((before < 0) & (after >= 0))),
    }
    table = Table(
        title=f"Re-plan from {now} (bucket {now_bucket}): {result.status}, {result.solver}",
        title_justify="left",
    )
    table.add_column("runs")
    table.add_column("count", justify="right")
    for label, count in counts.items():
        table.add_row(label, f"{count:,}")
    if result.fewest_moved is not None:
        table.add_row(
            "planned, moved or dropped by any re-plan (at least)", f"{result.fewest_moved:,}"
        )
    table.add_row("weighted value", f"{previous.value:,.2f} -> {result.value:,.2f}")
    console.print(table)
    if lost:
        held = Table(
            title=f"{len(lost)} run(s) of the schedule the new problem cannot hold",
            title_justify="left",
        )
        for column in ("run", "start bucket", "state", "reason"):
            held.add_column(column)
        for run, start, state, reason in lost[:_MAX_REJECTIONS_SHOWN]:
            held.add_row(run, str(start), state, reason)
        console.print(held)
    for overrun in result.overruns:
        console.print(f"[yellow]overrun: {overrun}[/]")
    if result.status == "OUTSIDE_BAND":
        console.print(
            "[yellow]the re-plan leaves some shares outside their band: the work done holds "
            "them there, or a longer search would bring them in (--report shows the shares)[/]"
        )
    if "found no solution" in result.solver:
        why = "CP-SAT found no re-plan in time"
        if result.status == "INFEASIBLE":
            why = "no re-plan meets every rule"
        console.print(
            f"[yellow]{why}: this is what of the plan still fits, with runs added where they "
            "fit; --solver rolling searches window by window[/]"
        )
    if out is not None:
        write_model(out, result)
        console.print(f"wrote {out}")
    if report is not None:
        from moonbase.report.html import write_report
        from moonbase.science.report import science_section

        sections = [science_section(instance, {"in force": previous, "re-planned": result})]
        write_report(report, "Science re-plan", sections)
        console.print(f"wrote {report}")


def _suggest_windows_if_large(instance) -> None:
    pairs = int(instance.start_ok.sum())
    if pairs > _LARGE_MODEL_STARTS:
        console.print(
            f"[yellow]{instance.n_jobs:,} runs with {pairs:,} allowed starts: one CP-SAT model "
            "this large is slow to build and rarely improves on its warm start; --solver "
            "rolling searches window by window[/]"
        )


def _scheduler_config(**fields):
    """A :class:`SchedulerConfig`; a bad value is an :class:`InputError` naming its option."""
    from pydantic import ValidationError

    from moonbase.science.solution import SchedulerConfig

    try:
        return SchedulerConfig(**fields)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        raise InputError(
            f"{first['msg']} (got {first.get('input')!r})", field=_CONFIG_OPTIONS.get(name, name)
        ) from None


def _bucket_of(resources, when: str) -> int:
    """The bucket of the campaign that holds the UTC time ``when`` (``--now``)."""
    from moonbase.science.archive import parse_utc_datetime

    origin = parse_utc_datetime(resources.start_utc, field="resources.start_utc")
    moment = parse_utc_datetime(when, field="--now")
    bucket = int((moment - origin).total_seconds() / 3600.0 // resources.bucket_hours)
    if not 0 <= bucket < resources.n_buckets:
        end = origin + timedelta(hours=resources.n_buckets * resources.bucket_hours)
        raise InputError(
            f"{when} is outside the campaign",
            field="--now",
            hint=f"give a time from {resources.start_utc} to before {end:%Y-%m-%dT%H:%M:%SZ}",
        )
    return bucket


def _runs_not_held(instance, previous, now_bucket: int) -> list[tuple[str, int, str, str]]:
    """Runs of ``previous`` with no job in ``instance``: (run, start, state, reason)."""
    known = instance.run_keys()
    reasons = {r.request_id: r.reason for r in instance.rejections}
    in_problem = {request.id for request in instance.problem.requests}

    def state(a) -> str:
        if a.start_bucket >= now_bucket:
            return "planned"
        if a.start_bucket + a.duration_buckets <= now_bucket:
            return "done"
        if a.request_id in in_problem:
            return "under way (its use to its end is held back)"
        return "under way (request gone: its use is not known; keep it until the run ends)"

    return [
        (
            f"{a.request_id}#{a.repeat}",
            a.start_bucket,
            state(a),
            reasons.get(a.request_id, "not in the problem")
            if (a.request_id, 0) not in known
            else "repeat no longer requested",
        )
        for a in previous.assignments
        if (a.request_id, a.repeat) not in known
    ]


def _print_schedules(instance, results, lp: float | None = None) -> None:
    from moonbase.science.report import percent_below, share_table

    title = "Schedules"
    if instance.buffered is not None:
        title += f" (science data may wait in a {instance.data_buffer_mbit / 1000:,g} Gbit buffer)"
    summary = Table(title=title, title_justify="left")
    columns = ["solver", "status", "runs", "weighted value", "bound", "gap", "time"]
    if lp is not None:
        columns.insert(-1, f"below LP bound {lp:,.2f}")
    for column in columns:
        summary.add_column(column, justify="right")
    for name, result in results.items():
        row = [
            name,
            result.status,
            f"{len(result.assignments):,}",
            f"{result.value:,.2f}",
            "" if result.objective_bound is None else f"{result.objective_bound:,.2f}",
            "" if result.gap is None else f"{100 * result.gap:.2f} %",
            f"{result.wall_s:.1f} s",
        ]
        if lp is not None:
            row.insert(-1, f"{percent_below(lp, result.value):.2f} %")
        summary.add_row(*row)
    console.print(summary)
    for name, result in results.items():
        if result.status == "OUTSIDE_BAND":
            console.print(
                f"[yellow]{name}: the window search ended with shares outside their band "
                "(see the shares below; a longer search, a wider --tolerance or --fairness "
                "penalty)[/]"
            )
    shares = Table(title="Delivered share vs entitlement (whole campaign)", title_justify="left")
    table = share_table(instance, results)
    for column in table.columns:
        shares.add_column(str(column), justify="right")
    for row in table.itertuples(index=False):
        shares.add_row(*(str(v) for v in row))
    console.print(shares)
    if instance.rejections:
        rejected = Table(
            title=f"{len(instance.rejections)} rejected requests", title_justify="left"
        )
        for column in ("request", "field", "reason"):
            rejected.add_column(column)
        for r in instance.rejections[:_MAX_REJECTIONS_SHOWN]:
            rejected.add_row(r.request_id, r.field, r.reason)
        console.print(rejected)
        if len(instance.rejections) > _MAX_REJECTIONS_SHOWN:
            more = len(instance.rejections) - _MAX_REJECTIONS_SHOWN
            console.print(f"... and {more} more (all are listed in --out and --report)")


@archive_app.command("init")
def archive_init(
    path: Path = typer.Argument(..., help="Archive file (JSON) to create."),
    partners: str = typer.Option(..., "--partners", help="Comma-separated partner ids."),
) -> None:
    """Create an empty archive shared by the given partners."""
    from moonbase.science.archive import DataArchive

    ids = [p.strip() for p in partners.split(",") if p.strip()]
    DataArchive.create(path, ids)
    console.print(f"created {path} for {len(ids)} partners")


@archive_app.command("add")
def archive_add(
    path: Path = typer.Argument(..., help="Archive file."),
    schedule_file: Path = typer.Option(..., "--schedule", help="Schedule JSON (science schedule)."),
    problem_file: Path = typer.Option(..., "--problem", help="The problem JSON it came from."),
    embargo_days: float = typer.Option(365.0, "--embargo-days", help="Embargo after acquisition."),
) -> None:
    """Register one raw product per scheduled run, owned by its partner."""
    from moonbase.science.archive import DataArchive, products_from_schedule
    from moonbase.science.files import read_model
    from moonbase.science.models import SchedulingProblem
    from moonbase.science.solution import Schedule

    if embargo_days < 0:
        raise InputError("must be zero or more", field="--embargo-days")
    archive = DataArchive.open(path)
    result = read_model(schedule_file, Schedule)
    problem = read_model(problem_file, SchedulingProblem)
    categories = {q.id: q.category for q in problem.requests}
    unknown = sorted({a.request_id for a in result.assignments} - set(categories))
    if unknown:
        raise InputError(
            f"the schedule has runs of requests not in the problem: {unknown[:5]}",
            field="--problem",
            hint="give the problem file the schedule was made from",
        )
    products = products_from_schedule(result, categories, embargo_days=embargo_days)
    archive.register(products)
    console.print(f"registered {len(products)} products in {path}")


@archive_app.command("query")
def archive_query(
    path: Path = typer.Argument(..., help="Archive file."),
    partner: str = typer.Option(..., "--partner", help="Who is asking."),
    as_of: str = typer.Option(..., "--as-of", help="At what time (UTC)."),
    owner: str | None = typer.Option(None, "--owner", help="Only products of this owner."),
    category: str | None = typer.Option(None, "--category", help="Only this ILRS purpose."),
    limit: int = typer.Option(50, "--limit", help="Print at most this many rows."),
) -> None:
    """List the products a partner may see at a given time."""
    from moonbase.science.archive import DataArchive, parse_utc_datetime

    archive = DataArchive.open(path)
    found = archive.query(partner, as_of, owner=owner, category=category)
    moment = parse_utc_datetime(as_of, field="--as-of")
    table = Table(
        title=f"{len(found)} of {len(archive)} products visible to {partner} at {as_of}",
        title_justify="left",
    )
    for column in ("product", "owner", "category", "start", "release", "access"):
        table.add_column(column)
    for product in found[:limit]:
        embargoed = moment < product.release_utc
        table.add_row(
            product.product_id,
            product.owner,
            str(product.label.discipline_name),
            product.label.start_date_time,
            f"{product.release_utc:%Y-%m-%dT%H:%M:%SZ}",
            "owner (embargoed)" if embargoed else "open",
        )
    console.print(table)
