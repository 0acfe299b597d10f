"""``moonbase study``: plan every variant of a study file on Dask and write the comparison."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from moonbase.errors import InputError

console = Console()

_FIGURES_HELP = (
    "basic_model_operating, p_basic_model_by_target, landed_mass_kg, min_survival_margin_h, "
    "science_value, science_runs, cost_musd, lit_percent"
)


def study(
    study_file: str | None = typer.Argument(
        None,
        metavar="[STUDY]",
        help="Study file (TOML), or the name of an example shipped with moonbase "
        "(surface-or-orbit, reactor-partner). Without it, --what-if studies --base.",
    ),
    out: Path = typer.Option(Path("out/study"), "--out", help="Folder for the comparison."),
    workers: int = typer.Option(
        2, "--workers", min=0, help="Local Dask worker processes (0: in this process)."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Address of a running Dask scheduler (tcp://HOST:PORT)."
    ),
    cache: Path | None = typer.Option(
        None, "--cache", help="Folder of the site stage's cache (default ~/.cache/moonbase/study)."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Compute every site stage afresh."),
    what_if: list[str] = typer.Option(
        [],
        "--what-if",
        help="A partner what-if, compared with the unchanged base: withdraw:PARTNER[@YYYY-MM-DD] "
        "(from that date, default the plan's date) or join:FILE.toml (a [partner] table with "
        "its contributions, and its [[elements]], [[launchers]], [[experiments]]). Repeatable.",
    ),
    base: str = typer.Option(
        "ilrs-reference", "--base", help="Base scenario without a study file: built-in or file."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="The plans' date, YYYY-MM-DD (default: the study file's)."
    ),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Seed (default: the file's)."),
    x: str | None = typer.Option(None, "--x", help=f"Pareto plot's x figure: {_FIGURES_HELP}."),
    y: str | None = typer.Option(None, "--y", help="Pareto plot's y figure (as --x)."),
    example: Path | None = typer.Option(
        None, "--example", help="Write the example study file to this path and stop."
    ),
) -> int:
    """Compare variants of a scenario (sites, surface or orbit, power, launchers, partners) and
    partner what-ifs: each variant's whole plan on Dask, one comparison page.

    Writes OUT/study.html (one row per variant, the Pareto plot, links to each variant's
    report), study.csv, study.json and OUT/variants/NAME/. Exit status 2 when a variant failed
    (each listed with its reason), after the others have run.
    """
    from moonbase.study import (
        default_cache_folder,
        example_path,
        load_study,
        run_study,
        with_what_ifs,
        write_study,
    )
    from moonbase.study.load import load_joining, new_study

    if example is not None:
        from moonbase.io import write_text_atomic

        write_text_atomic(example, example_path().read_text(encoding="utf-8"))
        console.print(f"wrote {example}")
        return 0
    day = _date(as_of)
    if study_file is None:
        if not what_if:
            raise InputError(
                "give a study file, or --what-if with --base and --as-of",
                field="study",
                hint="e.g. `moonbase study surface-or-orbit`, or "
                "`moonbase study --what-if withdraw:ROSCOSMOS --as-of 2026-12-03`",
            )
        if day is None:
            raise InputError(
                "a what-if without a study file needs the plans' date",
                field="--as-of",
                hint="add --as-of YYYY-MM-DD",
            )
        loaded = new_study(base, as_of=day, seed=seed or 0)
    else:
        loaded = load_study(_study_path(study_file))
        changes = {"as_of": day, "seed": seed}
        loaded = _replace(loaded, {k: v for k, v in changes.items() if v is not None})
    if x is not None or y is not None:
        loaded = _pareto(loaded, x, y)
    if what_if:
        withdraw, join = _what_ifs(what_if, loaded.as_of, load_joining)
        loaded = with_what_ifs(loaded, withdraw, join, baseline=loaded.baseline)
    folder = None if no_cache else (cache or default_cache_folder())
    where = scheduler or (f"{workers} local workers" if workers else "this process")
    total = sum(1 for v in loaded.variants if v.scenario is not None)
    with console.status(f"Planning {total} variants on {where} ...") as status:
        result = run_study(
            loaded,
            out,
            workers=workers,
            scheduler=scheduler,
            cache=folder,
            progress=lambda done, total, name: status.update(
                f"Planning on {where}: {done} of {total} done (last: {name}) ..."
            ),
        )
        paths = write_study(result)
    _print(result)
    console.print(f"\nComparison: [bold]{paths['html']}[/bold]")
    console.print(f"  {paths['csv']}\n  {paths['json']}")
    for outcome in result.failed:
        print(f"moonbase: error: {outcome.failure}", file=sys.stderr)
    return 2 if result.failed else 0


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"cannot read {text!r} as a date", field="--as-of", hint="use YYYY-MM-DD"
        ) from None


def _study_path(text: str) -> Path:
    from moonbase.study import EXAMPLES, example_path

    path = Path(text)
    if not path.exists() and text in EXAMPLES:
        return example_path(text)
    return path


def _replace(loaded, changes: dict):
    """The study with another date or seed (what-ifs from the file keep the file's dates)."""
    from dataclasses import replace

    if not changes:
        return loaded
    return replace(loaded, **changes)


def _pareto(loaded, x, y):
    from dataclasses import replace

    from moonbase.study.models import FIGURE_NAMES

    for flag, name in (("--x", x), ("--y", y)):
        if name is not None and name not in FIGURE_NAMES:
            raise InputError(
                f"unknown figure {name!r}", field=flag, hint=f"choose one of {_FIGURES_HELP}"
            )
    pareto = loaded.pareto.model_copy(
        update={k: v for k, v in (("x", x), ("y", y)) if v is not None}
    )
    return replace(loaded, pareto=pareto)


def _what_ifs(specs: list[str], as_of: date, load_joining):
    from moonbase.study.models import Withdrawal

    withdraw, join = [], []
    for spec in specs:
        kind, _, rest = spec.partition(":")
        if kind == "withdraw" and rest:
            partner, _, day = rest.partition("@")
            withdraw.append(
                Withdrawal(partner=partner, from_date=_what_if_date(day, spec) if day else as_of)
            )
        elif kind == "join" and rest:
            join.append(load_joining(rest))
        else:
            raise InputError(
                f"cannot read {spec!r}",
                field="--what-if",
                hint="use withdraw:PARTNER, withdraw:PARTNER@YYYY-MM-DD or join:FILE.toml",
            )
    return withdraw, join


def _what_if_date(text: str, spec: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"cannot read the date in {spec!r}", field="--what-if", hint="use PARTNER@YYYY-MM-DD"
        ) from None


def _print(result) -> None:
    table = Table(title=f"Study {result.study.name}", title_justify="left")
    for column in ("variant", "status", "basic model", "P(by target)", "margin h", "science"):
        table.add_column(column, justify="right")
    for outcome in result.outcomes:
        f = outcome.figures
        if outcome.ok:
            p = f.get("p_basic_model_by_target")
            margin = f.get("min_survival_margin_h")
            table.add_row(
                outcome.name,
                "ok" if f.get("closed") else "not closed",
                str(f.get("basic_model_operating") or ""),
                "" if p is None else f"{p:.2f}",
                "" if margin is None else f"{margin:,.0f}",
                f"{f.get('science_value', 0):,.0f}",
            )
        else:
            table.add_row(outcome.name, "[red]failed[/red]", "", "", "", "")
    console.print(table)
    console.print(
        f"{result.site_stages} site stages, {result.site_computed} computed, "
        f"{result.site_stages - result.site_computed} from the cache; {result.wall_s:.0f} s"
    )
