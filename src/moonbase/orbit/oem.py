"""CCSDS Orbit Ephemeris Message (OEM 2.0, KVN text form; CCSDS 502.0-B-3).

One metadata block: ``CENTER_NAME = MOON``, ``REF_FRAME = ICRF`` (the J2000/ICRF axes of the
DE421 states), ``TIME_SYSTEM = TDB``; data lines ``epoch x y z vx vy vz`` in km and km/s.
Epochs are TDB calendar dates (TDB has no leap seconds: ``2000-01-01T12:00:00 TDB`` plus
the TDB seconds). Writes are atomic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from moonbase.errors import DataError, InputError
from moonbase.io import write_text_atomic

__all__ = ["read_oem", "tdb_iso", "write_oem"]

_J2000_TDB = np.datetime64("2000-01-01T12:00:00", "ns")


def tdb_iso(et_s) -> list[str]:
    """TDB calendar strings (millisecond precision) for TDB seconds past J2000."""
    et = np.atleast_1d(np.asarray(et_s, dtype=float))
    stamps = _J2000_TDB + np.round(et * 1e9).astype("timedelta64[ns]")
    return [str(s)[:23] for s in np.datetime_as_string(stamps, unit="ms")]


def _et_from_iso(text: str) -> float:
    stamp = np.datetime64(text.strip(), "ns")
    return float((stamp - _J2000_TDB) / np.timedelta64(1, "ns")) * 1e-9


def write_oem(
    path,
    et_s,
    states_km,
    *,
    object_name: str = "MOONBASE NODE",
    object_id: str = "MOONBASE-1",
    originator: str = "MOONBASE",
) -> Path:
    """Write Moon-centred ICRF states ``(6, N)`` at TDB epochs ``(N,)`` as a CCSDS OEM file."""
    et = np.atleast_1d(np.asarray(et_s, dtype=float))
    s = np.asarray(states_km, dtype=float)
    if s.shape != (6, et.size):
        raise InputError(f"states must have shape (6, {et.size}), got {s.shape}", field="states")
    if et.size < 2 or np.any(np.diff(et) <= 0):
        raise InputError("epochs must be at least two and strictly increasing", field="epochs")
    stamps = tdb_iso(et)
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    lines = [
        "CCSDS_OEM_VERS = 2.0",
        f"CREATION_DATE = {created}",
        f"ORIGINATOR = {originator}",
        "",
        "META_START",
        f"OBJECT_NAME = {object_name}",
        f"OBJECT_ID = {object_id}",
        "CENTER_NAME = MOON",
        "REF_FRAME = ICRF",
        "TIME_SYSTEM = TDB",
        f"START_TIME = {stamps[0]}",
        f"STOP_TIME = {stamps[-1]}",
        "META_STOP",
        "",
        "COMMENT Moon-centred states from moonbase.orbit; km and km/s",
    ]
    lines += [
        f"{stamp} " + " ".join(f"{v: .12e}" for v in s[:, i]) for i, stamp in enumerate(stamps)
    ]
    return write_text_atomic(path, "\n".join(lines) + "\n")


def read_oem(path) -> tuple[dict[str, str], np.ndarray, np.ndarray]:
    """Read a single-segment OEM written in KVN: (metadata, epochs TDB s, states (6, N))."""
    meta: dict[str, str] = {}
    epochs, rows = [], []
    in_meta = False
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise DataError(f"cannot read OEM file {path}: {error}") from None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("COMMENT"):
            continue
        if line == "META_START":
            in_meta = True
            continue
        if line == "META_STOP":
            in_meta = False
            continue
        if "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            meta[key] = value
            continue
        if in_meta:
            continue
        fields = line.split()
        if len(fields) != 7:
            raise DataError(f"{path}: data line needs an epoch and 6 numbers: {line!r}")
        epochs.append(_et_from_iso(fields[0]))
        rows.append([float(v) for v in fields[1:]])
    if meta.get("TIME_SYSTEM") != "TDB":
        raise DataError(f"{path}: only TIME_SYSTEM = TDB is supported")
    return meta, np.array(epochs), np.array(rows).T
