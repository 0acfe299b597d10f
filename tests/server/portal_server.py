"""A portal on the stand-in jobs in its own process, served as ``moonbase serve`` serves it, for
tests that kill and restart a real server: ``python portal_server.py DATA_DIR PORT``."""

from __future__ import annotations

import sys

STANDINS = {kind: f"portal_standins:{kind}" for kind in ("optimise", "simulate", "schedule")}


def main() -> None:
    from moonbase.cli.serve import bind, run_portal
    from moonbase.server import Settings, create_app
    from moonbase.store import database_url
    from moonbase.store.db import open_database

    data_dir, port = sys.argv[1], int(sys.argv[2])
    url = database_url(data_dir)
    open_database(url).dispose()
    sock = bind("127.0.0.1", port)
    run_portal(create_app(Settings(database_url=url, registry=STANDINS)), sock)


if __name__ == "__main__":
    main()
