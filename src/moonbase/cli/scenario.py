"""``moonbase scenario``: show, validate and start scenario files."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from moonbase.errors import InputError
from moonbase.io import write_text_atomic
from moonbase.scenario import (
    BUILTIN_SCENARIOS,
    Scenario,
    ScenarioError,
    builtin_path,
    load_scenario,
    validate_scenario,
)
from moonbase.scenario.toml_io import template_path

app = typer.Typer(help="Show, validate and start scenario files.", no_args_is_help=True)
console = Console()

_BUILTIN_HELP = f"A built-in scenario instead of a file: {', '.join(BUILTIN_SCENARIOS)}."


def _source(path: Path | None, builtin: str | None) -> Path:
    if path is not None and builtin is not None:
        raise InputError("give a PATH or --builtin, not both", field="PATH")
    if builtin is not None:
        return builtin_path(builtin)
    if path is None:
        raise InputError(
            "no scenario given",
            field="PATH",
            hint="pass a scenario file, or --builtin ilrs-reference",
        )
    return path


def _print_problems(problems, path: Path) -> None:
    for problem in problems:
        print(problem.one_line(), file=sys.stderr)
    count = len(problems)
    print(f"{path}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)


@app.command()
def show(
    path: Path | None = typer.Argument(None, help="Scenario TOML file."),
    builtin: str | None = typer.Option(None, "--builtin", help=_BUILTIN_HELP),
) -> None:
    """Print a scenario as tables: partners, launchers, elements, experiments."""
    source = _source(path, builtin)
    try:
        scenario = load_scenario(source)
    except ScenarioError as error:
        _print_problems(error.problems, source)
        raise typer.Exit(2) from None
    print_scenario(scenario)


@app.command()
def validate(
    path: Path | None = typer.Argument(None, help="Scenario TOML file."),
    builtin: str | None = typer.Option(None, "--builtin", help=_BUILTIN_HELP),
) -> None:
    """Check a scenario file; list every problem, one per line (exit status 2 if any)."""
    source = _source(path, builtin)
    problems = validate_scenario(source)
    if problems:
        _print_problems(problems, source)
        raise typer.Exit(2)
    scenario = load_scenario(source)
    console.print(
        f"{source}: valid ({len(scenario.partners)} partners, {len(scenario.launchers)} "
        f"launchers, {len(scenario.elements)} elements, {len(scenario.experiments)} experiments)",
        soft_wrap=True,
    )


@app.command()
def new(
    path: Path = typer.Argument(..., help="File to write."),
    minimal: bool = typer.Option(
        False, "--minimal", help="A short commented template instead of the ILRS reference."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a new scenario file: a copy of the ILRS reference (default) or a short template."""
    if path.exists() and not force:
        raise InputError(
            f"{path} already exists", field="PATH", hint="choose another path or pass --force"
        )
    if path.exists() and path.is_dir():
        raise InputError(f"{path} is a directory", field="PATH", hint="give a file name")
    source = template_path() if minimal else builtin_path("ilrs-reference")
    write_text_atomic(path, source.read_text(encoding="utf-8"))
    what = "template" if minimal else "copy of the ILRS reference scenario"
    console.print(
        f"wrote {path} ({what}); check it with `moonbase scenario validate {path}`",
        soft_wrap=True,
    )


def _kg(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _date(value) -> str:
    return "" if value is None else value.isoformat()


def print_scenario(scenario: Scenario) -> None:
    """Print the scenario's parts as rich tables."""
    console.print(f"[bold]{scenario.name}[/bold]")
    if scenario.description:
        console.print(scenario.description)
    if scenario.site is not None:
        site = scenario.site
        console.print(
            f"Site: {site.name} ({site.latitude_deg:.3f} deg, {site.longitude_deg:.3f} deg E, "
            f"{site.height_m:g} m)"
        )
    if scenario.orbit is not None:
        console.print(f"Orbit node: {scenario.orbit.name} ({scenario.orbit.family})")
    window, policies = scenario.campaign, scenario.policies
    console.print(
        f"Campaign: {window.start} to {window.end}, {window.bucket}ly buckets; objective "
        f"{' > '.join(policies.objective)}; basic model: {', '.join(policies.basic_model) or '-'}"
        + (f" by {policies.basic_model_target}" if policies.basic_model_target else "")
    )

    table = Table(title="Partners", title_justify="left")
    for column in ("id", "agency", "class", "joined", "contributes to"):
        table.add_column(column)
    for partner in scenario.partners:
        elements = [e for c in partner.contributions for e in c.elements]
        levels = sorted({c.level for c in partner.contributions})
        table.add_row(
            partner.id,
            partner.agency,
            partner.capability_class,
            _date(partner.joined),
            (", ".join(levels) + ": " + ", ".join(dict.fromkeys(elements))) if levels else "",
        )
    console.print(table)

    table = Table(title="Launchers", title_justify="left")
    for column, justify in (
        ("id", "left"),
        ("partner", "left"),
        ("TLI kg", "right"),
        ("landed frac.", "right"),
        ("per year", "right"),
        ("from", "left"),
        ("reliability", "right"),
        ("cost M$", "right"),
        ("provenance", "left"),
    ):
        table.add_column(column, justify=justify)
    for launcher in scenario.launchers:
        prior = launcher.reliability
        table.add_row(
            launcher.id,
            launcher.partner,
            _kg(launcher.capacity_tli_kg),
            f"{launcher.landed_fraction:.2f}",
            f"{launcher.cadence_per_year:g}",
            _date(launcher.first_available),
            f"{prior.mean:.2f} (Beta {prior.alpha:g}, {prior.beta:g})",
            "" if launcher.cost_per_launch_musd is None else f"{launcher.cost_per_launch_musd:g}",
            launcher.provenance,
        )
    console.print(table)

    table = Table(title="Elements", title_justify="left")
    for column, justify in (
        ("id", "left"),
        ("partner", "left"),
        ("role", "left"),
        ("where", "left"),
        ("TLI kg", "right"),
        ("landed kg", "right"),
        ("window", "left"),
        ("depends on", "left"),
        ("provides", "left"),
        ("prov./mass", "left"),
    ):
        table.add_column(column, justify=justify)
    for element in scenario.elements:
        if element.is_planned:
            window_text = f"{_date(element.earliest_launch) or '...'} - {_date(element.latest_launch) or '...'}"
        else:
            window_text = f"{element.state} {_date(element.launched_on)}"
        depends = list(element.requires) + [escape(f"[{tag}]") for tag in element.needs]
        table.add_row(
            element.id,
            element.partner,
            element.role,
            element.location,
            _kg(element.mass_tli_kg),
            _kg(element.landed_mass_kg),
            window_text,
            ", ".join(depends),
            ", ".join(element.provides),
            f"{element.provenance[:3]}/{element.mass_provenance[:3]}",
        )
    console.print(table)

    if scenario.experiments:
        table = Table(title="Experiments", title_justify="left")
        for column in ("id", "partner", "category", "hours", "power W", "data Gbit", "needs"):
            table.add_column(column)
        for experiment in scenario.experiments:
            table.add_row(
                experiment.id,
                experiment.partner,
                experiment.category,
                f"{experiment.duration_h:g}",
                f"{experiment.power_w:g}",
                f"{experiment.data_volume_gbit:g}",
                ", ".join(experiment.requires),
            )
        console.print(table)
    console.print(
        "provenance (of the element / of its mass): ann(ounced) = agency statement, "
        "rep(orted) = news, not(ional) = modelling assumption; \\[tag] = capability needed"
    )
