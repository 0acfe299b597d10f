"""moonbase: plan, build and run a multi-national lunar research station.

The package is organised as one spine (see ``docs/design.md``)::

    scenario -> environment (time, ephemeris) -> site -> campaign -> systems -> science -> report

Each stage lives in its own sub-package of plain functions over numpy arrays with thin objects on top.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("moonbase")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
