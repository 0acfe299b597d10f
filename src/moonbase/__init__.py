"""moonbase: plan, build and run a multi-national lunar research station.

The package is organised as one spine (:mod:`moonbase.spine`, see ``docs/design.md``)::

    scenario -> site (terrain, Sun and Earth) -> campaign -> systems -> science -> report

Each stage lives in its own sub-package of plain functions over numpy arrays with thin objects on
top; :func:`moonbase.plan` runs them in order and returns a typed :class:`moonbase.Plan`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("moonbase")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["Plan", "__version__", "plan"]


def __getattr__(name: str):
    # The spine imports every stage; load it on first use so `import moonbase` stays light.
    if name in ("plan", "Plan"):
        from moonbase import spine

        return getattr(spine, name)
    raise AttributeError(f"module 'moonbase' has no attribute {name!r}")
