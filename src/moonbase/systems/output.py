"""Writing simulation series: Parquet or CSV by suffix, atomically (temp file + rename)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from moonbase.errors import InputError
from moonbase.io import atomic_path

__all__ = ["write_series"]


def write_series(series: pd.DataFrame, path) -> Path:
    """Write ``series`` to ``path``; ``.parquet`` or ``.csv`` (by suffix). Returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise InputError(
            f"cannot tell the format of {path.name!r}",
            field="out",
            hint="end the file name with .parquet or .csv",
        )
    with atomic_path(path) as temporary:
        if suffix == ".parquet":
            series.to_parquet(temporary)
        else:
            series.to_csv(temporary, float_format="%.9g")
    return path
