"""``python -m moonbase``: versions and the coverage of the data moonbase loads (a self-check)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def report() -> str:
    from moonbase import __version__
    from moonbase.datastore import PINNED, locate
    from moonbase.ephemeris import lunar_ephemeris

    lines = [f"moonbase {__version__}"]
    for package in ("numpy", "numba", "skyfield", "skyfield-data", "lunarsky", "ortools", "dask"):
        try:
            lines.append(f"  {package:14s} {version(package)}")
        except PackageNotFoundError:
            lines.append(f"  {package:14s} (not installed)")
    lines.append("data files (sha256 verified):")
    for name in PINNED:
        lines.append(f"  {name:30s} {locate(name)}")
    first, last = lunar_ephemeris().coverage_utc()
    lines.append(f"ephemeris span: {first} to {last} (TDB)")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(report())
