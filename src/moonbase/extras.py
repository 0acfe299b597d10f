"""Optional parts of moonbase and the one-line message when one is not installed.

``pip install moonbase`` gives the stages (ephemeris, terrain, site, campaign, systems, science,
orbit, report, CLI). The partner portal's web server and database drivers come with the
``server`` extra, the documentation tools with ``docs``; ``pip install 'moonbase[all]'`` (what
``make run`` does) installs both. Importing :mod:`moonbase.server` or :mod:`moonbase.store`
without the ``server`` extra raises :class:`MissingExtraError`, whose message names the extra
and the command that installs it; the CLI prints it as one line with exit status 2.
"""

from __future__ import annotations

import importlib.util
import sys

from moonbase.errors import MoonbaseError

__all__ = ["EXTRAS", "MissingExtraError", "require_extra"]

#: The optional extras and the modules each brings (checked by :func:`require_extra`).
EXTRAS: dict[str, tuple[str, ...]] = {
    "server": ("fastapi", "uvicorn", "sqlalchemy", "alembic", "psycopg", "httpx"),
    "docs": ("sphinx", "myst_nb", "jupyter_cache", "ipykernel", "furo"),
}


class MissingExtraError(MoonbaseError, ImportError):
    """A part of moonbase was used whose optional dependencies are not installed.

    ``extra`` is the extra to install and ``missing`` the modules that could not be imported.
    """

    def __init__(self, what: str, extra: str, missing: list[str]):
        self.extra = extra
        self.missing = missing
        super().__init__(
            f"{what} needs the '{extra}' extra ({', '.join(missing)} not installed): "
            f"pip install 'moonbase[{extra}]'"
        )


def require_extra(extra: str, what: str) -> None:
    """Raise :class:`MissingExtraError` unless every module of ``extra`` imports.

    ``what`` names the part of moonbase that needs it (``"moonbase.server"``).
    """
    missing = [module for module in EXTRAS[extra] if not _installed(module)]
    if missing:
        raise MissingExtraError(what, extra, missing)


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it."""
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
