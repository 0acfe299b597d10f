"""``moonbase run``: the main job on the built-in ILRS reference scenario."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from moonbase.pipeline import run_reference

console = Console()


def run(
    out: Path = typer.Option(Path("out"), "--out", help="Folder for the report and tables."),
) -> None:
    """Run the reference scenario end to end and write an HTML report under OUT."""
    result = run_reference(out, console=console)
    console.print(f"\nReport: [bold]{result.report_path}[/bold]")
    for path in result.files:
        console.print(f"  {path}")
