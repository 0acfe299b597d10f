"""``moonbase serve``: run the partner portal, or create a partner token and exit."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from moonbase.errors import InputError

console = Console()


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    data_dir: Path = typer.Option(
        Path("moonbase-data"),
        "--data-dir",
        help="Folder for the SQLite database (ignored when MOONBASE_DATABASE_URL is set).",
    ),
    workers: int = typer.Option(1, "--workers", help="Worker processes for long jobs."),
    jobs: str = typer.Option(
        "library",
        "--jobs",
        help="Job functions: 'library' (the stages where installed) or 'standin' (small demos).",
    ),
    create_token: str | None = typer.Option(
        None,
        "--create-token",
        metavar="PARTNER",
        help="Create a token for PARTNER, print it, exit.",
    ),
    role: str = typer.Option(
        "member", "--role", help="Role of the new token: member, partner_admin, station_planner."
    ),
    label: str = typer.Option("", "--label", help="A note kept with the new token."),
    entitlement: float | None = typer.Option(
        None, "--entitlement", help="Set PARTNER's entitled share of science time (0..1)."
    ),
) -> None:
    """Serve the REST API and dashboard, or with --create-token make a partner token."""
    from moonbase.store import (
        create_token as make_token,
    )
    from moonbase.store import (
        database_url,
        ensure_partner,
        make_engine,
        make_sessionmaker,
        migrate,
    )

    if not 0 < port < 65536:
        raise InputError(f"port {port} is not in 1..65535", field="--port")
    if workers < 1:
        raise InputError(f"{workers} workers; need at least 1", field="--workers")
    if jobs not in ("library", "standin"):
        raise InputError(f"unknown job set {jobs!r}", field="--jobs", hint="library or standin")
    url = database_url(data_dir)
    if create_token is not None:
        engine = make_engine(url)
        migrate(engine)
        with make_sessionmaker(engine).begin() as session:
            ensure_partner(session, create_token, entitlement=entitlement)
            token = make_token(session, create_token, role, label=label)
        engine.dispose()
        console.print(f"Token for [bold]{create_token}[/bold] ({role}); shown once, keep it:")
        print(token)
        return
    import uvicorn

    from moonbase.server import Settings, create_app
    from moonbase.server.jobs import default_registry, standin_registry

    registry = default_registry() if jobs == "library" else standin_registry()
    app = create_app(Settings(database_url=url, workers=workers, registry=registry))
    console.print(f"moonbase portal on http://{host}:{port}/  (database: {url.split('://')[0]})")
    uvicorn.run(app, host=host, port=port, log_level="warning")
