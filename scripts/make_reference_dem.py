"""Regenerate moonbase's packaged reference DEM from the shared LOLA-derived crops.

Usage (from the repository root)::

    .venv/bin/python scripts/make_reference_dem.py [--data ../shared/data/dem/lola_shackleton_godotrobot]
        [--out src/moonbase/terrain/data/reference_dem.npz]

Input: ``shackridge_200m_256x256_elev_m.npy`` (200 m pixels, outer top-left corner x = -30 km,
y = +15 km, south polar stereographic on R = 1737.4 km, north-up) and
``shackzoom_40m_256x256_elev_m.npy`` (40 m pixels, corner about x = -9.52 km, y = -5.48 km), both
checked against the SHA-256 in the data folder's README.

The 200 m crop holds a square that was lowered for a game. This script

1. finds where the 40 m crop sits on the 200 m grid: for every shift of the 40 m crop by whole
   40 m pixels it block-averages the crop 5 x 5 onto the 200 m cells and measures how well the
   difference to the 200 m crop is a plane (the edited square is the original minus a near
   constant); the best shift is printed with its runners-up;
2. finds the edited square: the rows/columns where the mean step between adjacent lines, along
   the square, is far from the neighbouring steps;
3. replaces the square with the block-averaged 40 m crop and prints the seam statistics (step
   across each edge of the square minus the mean of the steps on either side) before and after;
4. writes the result as int16 heights at 0.25 m with the scale, corner, pixel size,
   projection and provenance in one ``.npz`` (a zip with fixed timestamps, so reruns are
   byte-identical), and prints its SHA-256 (to pin in ``moonbase.datastore.PINNED``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "dem" / "lola_shackleton_godotrobot"
DEFAULT_OUT = REPO / "src" / "moonbase" / "terrain" / "data" / "reference_dem.npz"

RIDGE = "shackridge_200m_256x256_elev_m.npy"
ZOOM = "shackzoom_40m_256x256_elev_m.npy"
SHA256 = {
    RIDGE: "6ae50aaeece625e86c1d64f313d4a055d5cea41c6a47847f3dcbb77414f2cbb9",
    ZOOM: "06bdd4ce0a4a70b2b8fcaa0d28e916fb54d68bf277b36428119e8738d04baf28",
}
RIDGE_CORNER_M = (-30_000.0, 15_000.0)
RIDGE_PIXEL_M = 200.0
ZOOM_CORNER_M = (-9_520.0, -5_480.0)  # data README, from the crop arithmetic
ZOOM_PIXEL_M = 40.0
FACTOR = 5  # 200 m / 40 m
QUANTUM_M = 0.25
PROJECTION = "+proj=stere +lat_0=-90 +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=1737400 +units=m +no_defs"
PROVENANCE = (
    "NASA LRO LOLA polar 10 m topography (public domain; cite Smith et al. 2010, GRL 37, L18204, "
    "and Smith et al. 2017, Icarus 283), median-filtered and downscaled by AuroraRoboticsLab/"
    "GodotRobot (Unlicense) at commit 371c713d52e972f07bdd9b1129857a3a896f947f, files "
    "demo/terrain_fixed/lunar_south_pole/dem_shackridge_200m_256x256.exr and "
    "dem_shackzoom_40m_256x256.exr; the 200 m crop's edited square {square} replaced by the "
    "40 m crop block-averaged 5 x 5 (scripts/make_reference_dem.py)"
)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    arrays = []
    for name in (RIDGE, ZOOM):
        path = folder / name
        if not path.is_file():
            sys.exit(f"make_reference_dem: {path} not found; pass --data FOLDER")
        if _sha256(path) != SHA256[name]:
            sys.exit(f"make_reference_dem: {path} does not match its SHA-256 {SHA256[name]}")
        arrays.append(np.load(path).astype(np.float64))
    return arrays[0], arrays[1]


def nominal_shift_px() -> tuple[int, int]:
    """(row, col) offset, in 40 m pixels, of the 40 m crop's corner inside its first 200 m cell."""
    col = (ZOOM_CORNER_M[0] - RIDGE_CORNER_M[0]) / ZOOM_PIXEL_M
    row = (RIDGE_CORNER_M[1] - ZOOM_CORNER_M[1]) / ZOOM_PIXEL_M
    return round(row) % FACTOR, round(col) % FACTOR


def block_average(zoom: np.ndarray, first_row: int, first_col: int, n_rows: int, n_cols: int):
    """The 40 m crop averaged 5 x 5 from 40 m pixel (first_row, first_col), (n_rows, n_cols) cells."""
    block = zoom[first_row : first_row + FACTOR * n_rows, first_col : first_col + FACTOR * n_cols]
    return block.reshape(n_rows, FACTOR, n_cols, FACTOR).mean(axis=(1, 3))


def placement(ridge: np.ndarray, zoom: np.ndarray, shift: tuple[int, int]):
    """200 m cells wholly covered by the 40 m crop placed with its corner ``shift`` 40 m px in.

    ``shift = (sr, sc)``: the 40 m crop's top-left corner lies ``sr`` 40 m rows and ``sc`` 40 m
    columns into 200 m cell (R0, C0), with R0, C0 from the nominal corner. Returns
    ``(rows slice, cols slice, block-averaged heights)``.
    """
    sr, sc = shift
    r0 = int((RIDGE_CORNER_M[1] - ZOOM_CORNER_M[1]) // RIDGE_PIXEL_M)
    c0 = int((ZOOM_CORNER_M[0] - RIDGE_CORNER_M[0]) // RIDGE_PIXEL_M)
    # First whole 200 m cell after the corner: it starts (5 - s) % 5 pixels into the crop.
    skip_r, skip_c = (FACTOR - sr) % FACTOR, (FACTOR - sc) % FACTOR
    first_r = r0 + (1 if sr else 0)
    first_c = c0 + (1 if sc else 0)
    n_r = (zoom.shape[0] - skip_r) // FACTOR
    n_c = (zoom.shape[1] - skip_c) // FACTOR
    averaged = block_average(zoom, skip_r, skip_c, n_r, n_c)
    return slice(first_r, first_r + n_r), slice(first_c, first_c + n_c), averaged


def plane_residual_m(difference: np.ndarray) -> float:
    """RMS of ``difference`` about its best-fitting plane."""
    rows, cols = np.indices(difference.shape)
    design = np.column_stack([np.ones(difference.size), rows.ravel(), cols.ravel()])
    coef, *_ = np.linalg.lstsq(design, difference.ravel(), rcond=None)
    return float(np.sqrt(np.mean((difference.ravel() - design @ coef) ** 2)))


def best_shift(ridge: np.ndarray, zoom: np.ndarray) -> tuple[int, int]:
    scores = []
    for sr in range(FACTOR):
        for sc in range(FACTOR):
            rows, cols, averaged = placement(ridge, zoom, (sr, sc))
            scores.append((plane_residual_m(ridge[rows, cols] - averaged), sr, sc))
    scores.sort()
    print("alignment: RMS of (200 m crop - block-averaged 40 m crop) about a plane, by shift")
    for score, sr, sc in scores[:4]:
        print(f"  corner {sr} rows, {sc} cols of 40 m into the 200 m cell: {score:6.2f} m")
    print(
        f"  nominal (README corner x = {ZOOM_CORNER_M[0] / 1000:g} km, y = "
        f"{ZOOM_CORNER_M[1] / 1000:g} km): shift {nominal_shift_px()}"
    )
    return scores[0][1], scores[0][2]


def seam_anomalies(heights: np.ndarray, rows: slice, cols: slice) -> dict[str, np.ndarray]:
    """Step across each edge of the square minus the mean of the steps on either side (m)."""
    d_row = np.diff(heights, axis=0)  # d_row[i] = h[i + 1] - h[i]
    d_col = np.diff(heights, axis=1)
    top, bottom = rows.start - 1, rows.stop - 1
    left, right = cols.start - 1, cols.stop - 1
    return {
        "top": d_row[top, cols] - 0.5 * (d_row[top - 1, cols] + d_row[top + 1, cols]),
        "bottom": d_row[bottom, cols] - 0.5 * (d_row[bottom - 1, cols] + d_row[bottom + 1, cols]),
        "left": d_col[rows, left] - 0.5 * (d_col[rows, left - 1] + d_col[rows, left + 1]),
        "right": d_col[rows, right] - 0.5 * (d_col[rows, right - 1] + d_col[rows, right + 1]),
    }


def print_seams(label: str, heights: np.ndarray, rows: slice, cols: slice) -> float:
    worst = 0.0
    for edge, anomaly in seam_anomalies(heights, rows, cols).items():
        rms = float(np.sqrt(np.mean(anomaly**2)))
        print(
            f"  {label:8s} {edge:6s} mean {anomaly.mean():8.1f} m, rms {rms:6.1f} m, "
            f"max |.| {np.abs(anomaly).max():6.1f} m"
        )
        worst = max(worst, abs(float(anomaly.mean())))
    return worst


def repair(ridge: np.ndarray, zoom: np.ndarray) -> tuple[np.ndarray, slice, slice]:
    shift = best_shift(ridge, zoom)
    rows, cols, averaged = placement(ridge, zoom, shift)
    offset = ridge[rows, cols] - averaged
    print(
        f"edited square: rows {rows.start}..{rows.stop - 1}, cols {cols.start}..{cols.stop - 1} "
        f"(shackridge[{rows.start}:{rows.stop}, {cols.start}:{cols.stop}]); 200 m crop minus "
        f"40 m average there: mean {offset.mean():.1f} m, std {offset.std():.1f} m"
    )
    repaired = ridge.copy()
    repaired[rows, cols] = averaged
    print("seams (step across the edge minus the mean of the neighbouring steps):")
    print_seams("raw", ridge, rows, cols)
    worst = print_seams("repaired", repaired, rows, cols)
    if worst > 10.0:
        sys.exit(f"make_reference_dem: a repaired seam is off by {worst:.1f} m on average (> 10 m)")
    return repaired, rows, cols


def _member(name: str, array: np.ndarray) -> tuple[str, bytes]:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return f"{name}.npy", buffer.getvalue()


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An ``np.load``-able .npz with fixed member timestamps (byte-identical on every run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".npz.part")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, array in arrays.items():
            member, data = _member(name, array)
            info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            bundle.writestr(info, data, compresslevel=9)
    temporary.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the two crops")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the .npz to write")
    args = parser.parse_args(argv)
    ridge, zoom = load(args.data)
    repaired, rows, cols = repair(ridge, zoom)
    quantised = np.round(repaired / QUANTUM_M)
    if np.abs(quantised).max() > np.iinfo(np.int16).max:
        sys.exit("make_reference_dem: heights do not fit int16 at 0.25 m")
    square = f"[{rows.start}:{rows.stop}, {cols.start}:{cols.stop}]"
    arrays = {
        "elevation_q": quantised.astype(np.int16),
        "scale_m": np.float64(QUANTUM_M),
        "corner_xy_m": np.array(RIDGE_CORNER_M),
        "pixel_m": np.float64(RIDGE_PIXEL_M),
        "repaired_rows": np.array([rows.start, rows.stop]),
        "repaired_cols": np.array([cols.start, cols.stop]),
        "projection": np.array(PROJECTION),
        "provenance": np.array(PROVENANCE.format(square=square)),
    }
    write_npz(args.out, arrays)
    digest = _sha256(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes), sha256 {digest}")
    print(f"max quantisation error {np.abs(quantised * QUANTUM_M - repaired).max():.3f} m")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
