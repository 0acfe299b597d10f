"""``moonbase serve``: run the partner portal, or create a partner token and exit.

Startup mistakes (a data directory that is a file, a corrupt database, a bad or unreachable
``MOONBASE_DATABASE_URL``, a port in use) are one-line errors with exit status 2: the database
is opened and migrated, and the port bound, before the server starts.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import typer
from rich.console import Console

from moonbase.errors import InputError

console = Console()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``, or a one-line InputError (port in use, ...)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise InputError(f"cannot listen on {host!r}: {error.strerror}", field="--host") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise InputError(
                f"port {port} on {host} is in use by another program",
                field="--port",
                hint="stop that program or choose another --port",
            ) from None
        raise InputError(
            f"cannot listen on {host}:{port}: {error.strerror}", field="--port"
        ) from None
    sock.set_inheritable(True)
    return sock


def run_portal(app, sock: socket.socket, *, log_level: str = "warning") -> None:
    """Serve ``app`` with uvicorn on the bound ``sock``: HTTP/1.1 with the header-read timeout
    (:func:`moonbase.server.limits.header_timeout_protocol`) and a short keep-alive."""
    import uvicorn

    from moonbase.server.limits import KEEP_ALIVE_S, header_timeout_protocol

    config = uvicorn.Config(
        app,
        http=header_timeout_protocol(),
        timeout_keep_alive=int(KEEP_ALIVE_S),
        timeout_graceful_shutdown=10,
        log_level=log_level,
    )
    uvicorn.Server(config).run(sockets=[sock])


def _corner(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"cannot read {text!r} as X,Y", field="--dem-corner") from None
    return [x, y]


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    data_dir: Path = typer.Option(
        Path("moonbase-data"),
        "--data-dir",
        help="Folder for the SQLite database (ignored when MOONBASE_DATABASE_URL is set).",
    ),
    workers: int = typer.Option(1, "--workers", help="Worker processes for long jobs."),
    dem: Path | None = typer.Option(
        None,
        "--dem",
        help="Site terrain of plan and simulate jobs (a DEM file); default: the packaged DEM.",
    ),
    dem_corner: str | None = typer.Option(
        None, "--dem-corner", help="For a .npy DEM: X,Y (m) of the top-left pixel's outer corner."
    ),
    dem_pixel_m: float | None = typer.Option(
        None, "--dem-pixel-m", help="For a .npy DEM: pixel size (m)."
    ),
    far_field: bool = typer.Option(
        True, "--far-field/--no-far-field", help="Terrain 300 km around the DEM (default on)."
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
    expires_days: int | None = typer.Option(
        None, "--expires-days", help="Lifetime of the new token, days (default: the policy's)."
    ),
    entitlement: float | None = typer.Option(
        None, "--entitlement", help="Set PARTNER's entitled share of science time (0..1)."
    ),
) -> None:
    """Serve the REST API and dashboard, or with --create-token make a partner token."""
    from moonbase.store import create_token as make_token
    from moonbase.store import database_url, ensure_partner, make_sessionmaker
    from moonbase.store.db import open_database

    if not 0 < port < 65536:
        raise InputError(f"port {port} is not in 1..65535", field="--port")
    if workers < 1:
        raise InputError(f"{workers} workers; need at least 1", field="--workers")
    if dem is not None and not dem.is_file():
        raise InputError(f"{str(dem)!r} is not a file", field="--dem")
    url = database_url(data_dir)
    engine = open_database(url)
    if create_token is not None:
        with make_sessionmaker(engine).begin() as session:
            ensure_partner(session, create_token, entitlement=entitlement)
            token = make_token(
                session, create_token, role, label=label, expires_in_days=expires_days
            )
        engine.dispose()
        console.print(f"Token for [bold]{create_token}[/bold] ({role}); shown once, keep it:")
        print(token)
        return
    engine.dispose()
    terrain = None
    if dem is not None or not far_field:
        terrain = {
            "dem": None if dem is None else str(dem.resolve()),
            "corner_xy_m": _corner(dem_corner),
            "pixel_m": dem_pixel_m,
            "far_field": far_field,
        }
    sock = bind(host, port)
    from moonbase.server import Settings, create_app

    app = create_app(Settings(database_url=url, workers=workers, terrain=terrain))
    console.print(f"moonbase portal on http://{host}:{port}/  (database: {url.split('://')[0]})")
    run_portal(app, sock)
