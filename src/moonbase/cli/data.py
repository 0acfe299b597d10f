"""``moonbase data``: the data files moonbase uses, and fetching the optional ones.

Nothing is downloaded unless the user runs ``moonbase data fetch``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

app = typer.Typer(
    help="Data files: list the packaged and optional ones, fetch the optional ones.",
    no_args_is_help=True,
)
console = Console()

_DIR = typer.Option(
    None, "--dir", help="Data folder (default: $MOONBASE_DATA_DIR or ~/.local/share/moonbase)."
)


@app.command("fetch")
def fetch_command(
    name: str = typer.Argument(..., help="What to fetch: far-field."),
    directory: Path | None = _DIR,
    force: bool = typer.Option(False, "--force", help="Download again even if present."),
) -> None:
    """Download, verify (size + SHA-256) and install an optional data file."""
    from moonbase.fetch import fetch, remote_file, status_of

    remote = remote_file(name)
    if not force:
        state, path = status_of(name, directory)
        if state == "present":
            console.print(f"{name}: already present and verified: {path} (sha256 {remote.sha256})")
            return
    console.print(f"[bold]{name}[/bold]: {remote.description}")
    with Progress(
        TextColumn("[bold]download"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = None

        def report(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task("download", total=total)
            bar.update(task, completed=done, total=total)

        result = fetch(name, directory, progress=report, force=force)
    console.print(f"installed {result.path} (sha256 {result.sha256} verified)")


def _entry(name: str, state: str, where: str, sha256: str, what: str) -> None:
    console.print(f"[bold]{name}[/bold]: {state}")
    console.print(f"  file    {where}", soft_wrap=True)
    console.print(f"  sha256  {sha256}", soft_wrap=True)
    console.print(f"  what    {what}")


def _installed_copy(sha256: str) -> str:
    """Name of a verified packaged file (``moonbase.datastore.PINNED``) with this checksum, or ''."""
    from moonbase.datastore import PINNED, locate
    from moonbase.errors import DataError

    for name, pinned in PINNED.items():
        if pinned.sha256 == sha256:
            try:
                locate(name)
            except DataError:
                return ""
            return f"{name} from {pinned.package.replace('_', '-')}"
    return ""


@app.command("list")
def list_command(directory: Path | None = _DIR) -> None:
    """Known data files: where they are, whether they are present, their pinned SHA-256."""
    from moonbase.datastore import PINNED, locate
    from moonbase.errors import DataError
    from moonbase.fetch import REMOTE, data_dir, status_of

    console.print(f"[bold underline]optional data[/bold underline] (folder {data_dir(directory)})")
    for name, remote in REMOTE.items():
        state, path = status_of(name, directory)
        packaged = _installed_copy(remote.sha256)
        shown = {
            "present": "[green]present, verified[/green]",
            "absent": (
                f"[green]not needed[/green]: the installed package's copy is used ({packaged})"
                if packaged
                else f"absent: run `moonbase data fetch {name}` ({remote.archive_size / 1e6:.0f} MB)"
            ),
            "corrupt": f"[red]checksum mismatch[/red]: `moonbase data fetch {name}` replaces it",
        }[state]
        _entry(
            name,
            shown,
            str(path),
            remote.sha256,
            f"{remote.description}; licence: {remote.license}",
        )
    console.print("[bold underline]packaged data[/bold underline] (inside installed packages)")
    for name, pinned in PINNED.items():
        try:
            where, state = str(locate(name)), "[green]present, verified[/green]"
        except DataError as error:
            where, state = pinned.package, f"[red]{error}[/red]"
        _entry(name, state, where, pinned.sha256, pinned.description)
