"""Reading and writing DEMs: LOLA polar PDS3 (.IMG + .LBL), GeoTIFF, and .npy with a geotransform.

Foreign conventions are converted here: every reader returns a :class:`Terrain` with heights in
metres above the 1737.4 km sphere, row 0 at the top (largest y) and the outer corner of the
top-left pixel as the geotransform. Errors name the file and say what was expected.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from moonbase.constants import MOON_RADIUS_M
from moonbase.errors import DataError, InputError
from moonbase.io import atomic_path
from moonbase.terrain.model import Terrain
from moonbase.terrain.projection import PROJ4_SOUTH_POLAR

__all__ = ["fill_missing", "read_dem", "read_geotiff", "read_npy", "read_pds3", "write_geotiff"]

_FILL_HINT = "pass fill='nearest' (nearest valid height) or fill=<metres> to read_dem"


# -- NaNs -------------------------------------------------------------------------------------------
def fill_missing(heights: np.ndarray, fill, *, source: str) -> np.ndarray:
    """Return ``heights`` with NaNs replaced, or raise DataError saying how many and where.

    ``fill``: None (refuse), a number of metres, or ``"nearest"`` (height of the nearest valid
    pixel, by Euclidean distance transform).
    """
    heights = np.asarray(heights, dtype=np.float64)
    bad = ~np.isfinite(heights)
    if not bad.any():
        return heights
    if fill is None:
        rows, cols = np.nonzero(bad)
        raise DataError(
            f"{source}: {int(bad.sum())} of {heights.size} heights are missing (NaN) in rows "
            f"{rows.min()}..{rows.max()}, cols {cols.min()}..{cols.max()} (first at row "
            f"{rows[0]}, col {cols[0]}); {_FILL_HINT}"
        )
    if bad.all():
        raise DataError(f"{source}: every height is missing (NaN); nothing to fill from")
    out = heights.copy()
    if isinstance(fill, str):
        if fill != "nearest":
            raise InputError(
                f"unknown fill {fill!r}", field="fill", hint="use 'nearest' or a number of metres"
            )
        from scipy.ndimage import distance_transform_edt

        _, (ri, ci) = distance_transform_edt(bad, return_indices=True)
        out[bad] = heights[ri[bad], ci[bad]]
    else:
        value = float(fill)
        if not np.isfinite(value):
            raise InputError(f"fill must be a finite number, got {fill!r}", field="fill")
        out[bad] = value
    return out


# -- cropping -------------------------------------------------------------------------------------
def _window(x0, y0, pixel, shape, bounds_m, where):
    """(r0, r1, c0, c1): the pixels overlapping ``bounds_m = (x_min, x_max, y_min, y_max)``."""
    rows, cols = shape
    if bounds_m is None:
        return 0, rows, 0, cols
    try:
        x_min, x_max, y_min, y_max = (float(v) for v in bounds_m)
    except (TypeError, ValueError):
        x_min = x_max = y_min = y_max = float("nan")
    if not (x_min < x_max and y_min < y_max):
        raise InputError(
            f"expected (x_min, x_max, y_min, y_max) in metres with min < max, got {bounds_m!r}",
            field="bounds_m",
        )
    c0 = max(0, math.floor((x_min - x0) / pixel))
    c1 = min(cols, math.ceil((x_max - x0) / pixel))
    r0 = max(0, math.floor((y0 - y_max) / pixel))
    r1 = min(rows, math.ceil((y0 - y_min) / pixel))
    if r1 - r0 < 2 or c1 - c0 < 2:
        raise InputError(
            f"{where}: the box x {x_min / 1000:g}..{x_max / 1000:g} km, y {y_min / 1000:g}.."
            f"{y_max / 1000:g} km covers less than 2 x 2 pixels of the map (which spans x "
            f"{x0 / 1000:g}..{(x0 + cols * pixel) / 1000:g} km, y {(y0 - rows * pixel) / 1000:g}.."
            f"{y0 / 1000:g} km)",
            field="bounds_m",
        )
    return r0, r1, c0, c1


# -- dispatch ------------------------------------------------------------------------------------
def read_dem(
    path,
    *,
    fill=None,
    corner_xy_m: tuple[float, float] | None = None,
    pixel_m: float | None = None,
    bounds_m: tuple[float, float, float, float] | None = None,
    check_artefacts: bool = True,
) -> Terrain:
    """Read a DEM as a :class:`Terrain`; the format follows the suffix.

    - ``.lbl`` / ``.img``: LOLA polar PDS3 product (label and image side by side);
    - ``.tif`` / ``.tiff``: GeoTIFF in south polar stereographic on R = 1737.4 km;
    - ``.npy``: float heights in metres with ``corner_xy_m`` (outer corner of the top-left
      pixel) and ``pixel_m`` given explicitly.

    ``fill`` handles missing heights (see :func:`fill_missing`). ``bounds_m = (x_min, x_max,
    y_min, y_max)`` reads only the pixels overlapping that box (memory-mapped for PDS3 and
    .npy, a window for GeoTIFF): a 30400 x 30400 LOLA product is 1.8 GB on disk, 7.4 GB as
    float64 heights.

    ``check_artefacts``: refuse (one-line :class:`InputError` naming the file, the row or column
    segment and the fix) a DEM holding a straight-edged step of 100 m or more along 8 or more
    cells, the mark of an edited or mis-mosaicked patch
    (:func:`moonbase.terrain.dem_artefacts`); ``False`` reads it anyway.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"no such DEM file: {path}", field="path")
    if suffix in (".lbl", ".img"):
        terrain = read_pds3(path, fill=fill, bounds_m=bounds_m)
    elif suffix in (".tif", ".tiff"):
        terrain = read_geotiff(path, fill=fill, bounds_m=bounds_m)
    elif suffix == ".npy":
        terrain = read_npy(
            path, corner_xy_m=corner_xy_m, pixel_m=pixel_m, fill=fill, bounds_m=bounds_m
        )
    else:
        terrain = None
    if terrain is not None:
        if check_artefacts:
            from moonbase.terrain.artefacts import check_dem_artefacts

            check_dem_artefacts(terrain.elevation_m, source=str(path))
        return terrain
    raise InputError(
        f"{path}: unknown DEM format {suffix!r}",
        field="path",
        hint="use a PDS3 .LBL/.IMG pair, a GeoTIFF (.tif) or a .npy array with corner_xy_m and pixel_m",
    )


def read_npy(path, *, corner_xy_m=None, pixel_m=None, fill=None, bounds_m=None) -> Terrain:
    """A .npy array of heights (m above 1737.4 km) with an explicit geotransform."""
    path = Path(path)
    if corner_xy_m is None or pixel_m is None:
        raise InputError(
            f"{path}: a .npy array has no georeferencing",
            field="corner_xy_m, pixel_m",
            hint="give corner_xy_m=(x, y) of the top-left pixel's outer corner in metres and pixel_m",
        )
    try:
        heights = np.load(path, allow_pickle=False, mmap_mode="r")
    except (OSError, ValueError, EOFError) as error:  # EOFError: an empty or truncated file
        raise DataError(f"{path}: not a readable .npy array ({error or 'empty file'})") from None
    if heights.ndim != 2 or not np.issubdtype(heights.dtype, np.number):
        raise DataError(
            f"{path}: expected a 2-D numeric array of heights, got {heights.dtype} {heights.shape}"
        )
    x0, y0 = (float(v) for v in corner_xy_m)
    pixel = float(pixel_m)
    r0, r1, c0, c1 = _window(x0, y0, pixel, heights.shape, bounds_m, str(path))
    heights = fill_missing(np.array(heights[r0:r1, c0:c1]), fill, source=str(path))
    return Terrain(
        heights, x0_m=x0 + c0 * pixel, y0_m=y0 - r0 * pixel, pixel_m=pixel, source=str(path)
    )


# -- PDS3 -------------------------------------------------------------------------------------------
_ASSIGN = re.compile(r"^\s*(\^?[A-Z0-9_:]+)\s*=\s*(.*?)\s*$")


def parse_pds3_label(text: str) -> dict:
    """Parse a PDS3 label into nested dicts: ``{"IMAGE": {...}, "IMAGE_MAP_PROJECTION": {...}}``.

    Top-level keywords sit at the top; each OBJECT/GROUP becomes a sub-dict under its name.
    Values keep their text with quotes removed; units in ``<...>`` are kept as ``(value, unit)``.
    """
    root: dict = {}
    stack = [root]
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].split("/*")[0]
        i += 1
        if line.strip() == "END":
            break
        match = _ASSIGN.match(line)
        if not match:
            continue
        key, value = match.group(1), match.group(2)
        # Multi-line quoted strings and parenthesised lists.
        while (value.count('"') % 2 == 1 or value.count("(") > value.count(")")) and i < len(lines):
            value += " " + lines[i].strip()
            i += 1
        if key in ("OBJECT", "GROUP"):
            child: dict = {}
            stack[-1].setdefault(value.strip('"'), child)
            stack.append(child)
            continue
        if key in ("END_OBJECT", "END_GROUP"):
            if len(stack) > 1:
                stack.pop()
            continue
        stack[-1][key] = _pds_value(value)
    return root


def _pds_value(text: str):
    text = text.strip()
    unit = None
    match = re.match(r"^(.*?)\s*<([^>]*)>$", text)
    if match:
        text, unit = match.group(1).strip(), match.group(2).strip()
    text = text.strip('"').strip("'").strip()
    return (text, unit) if unit else text


def _number(label: dict, key: str, where: str, *, default=None, unit_scale=None) -> float:
    value = label.get(key, default)
    if value is None:
        raise DataError(f"{where}: the label has no {key}")
    unit = None
    if isinstance(value, tuple):
        value, unit = value
    try:
        number = float(str(value).rstrip("."))
    except ValueError as error:
        raise DataError(f"{where}: {key} = {value!r} is not a number") from error
    if unit_scale is not None and unit is not None:
        scale = unit_scale.get(unit.upper())
        if scale is None:
            raise DataError(
                f"{where}: {key} has unit <{unit}>; expected one of {sorted(unit_scale)}"
            )
        number *= scale
    return number


_SAMPLE_TYPES = {
    ("LSB_INTEGER", 16): "<i2",
    ("MSB_INTEGER", 16): ">i2",
    ("LSB_UNSIGNED_INTEGER", 16): "<u2",
    ("MSB_UNSIGNED_INTEGER", 16): ">u2",
    ("LSB_INTEGER", 32): "<i4",
    ("MSB_INTEGER", 32): ">i4",
    ("PC_REAL", 32): "<f4",
    ("IEEE_REAL", 32): ">f4",
    ("PC_REAL", 64): "<f8",
    ("IEEE_REAL", 64): ">f8",
}


def _pds3_pair(path: Path) -> tuple[Path, Path]:
    """(label, image) paths from either member of the pair (suffix case-insensitive)."""
    stem = path.with_suffix("")
    candidates = {p.suffix.lower(): p for p in stem.parent.glob(stem.name + ".*")}
    label = candidates.get(".lbl")
    image = candidates.get(".img")
    if label is None:
        raise InputError(
            f"{path}: no PDS3 label {stem.name}.LBL beside it",
            field="path",
            hint="LOLA products come as .IMG + .LBL pairs; put the label in the same folder",
        )
    return label, image


def read_pds3(path, *, fill=None, bounds_m=None) -> Terrain:
    """A LOLA polar PDS3 DEM (``LDEM_*S_*M.LBL`` + ``.IMG``) as a :class:`Terrain`.

    Reads LINES, LINE_SAMPLES, SAMPLE_TYPE/SAMPLE_BITS, SCALING_FACTOR, OFFSET, UNIT,
    MISSING_CONSTANT; the map projection (POLAR STEREOGRAPHIC centred on -90 on a 1737.4 km
    sphere), MAP_SCALE, LINE/SAMPLE_PROJECTION_OFFSET. Pixel (row, col) (0-based) has its centre
    at x = (col - SAMPLE_PROJECTION_OFFSET) * MAP_SCALE, y = (LINE_PROJECTION_OFFSET - row) *
    MAP_SCALE (the LOLA DSMAP_POLAR convention). Values are ``DN * SCALING_FACTOR + OFFSET`` in
    UNIT; a product storing radii (OFFSET = 1737.4 km) is converted to heights above the sphere.
    """
    label_path, image_path = _pds3_pair(Path(path))
    where = str(label_path)
    try:
        label = parse_pds3_label(label_path.read_text(encoding="latin-1"))
    except OSError as error:
        raise DataError(f"{where}: cannot read the label ({error})") from error
    image = label.get("IMAGE")
    projection = label.get("IMAGE_MAP_PROJECTION")
    if image is None or projection is None:
        raise DataError(f"{where}: expected OBJECT = IMAGE and OBJECT = IMAGE_MAP_PROJECTION")
    if "^IMAGE" in label:
        pointer = label["^IMAGE"]
        name = pointer[0] if isinstance(pointer, tuple) else str(pointer)
        name = name.strip("()").split(",")[0].strip().strip('"')
        if name and not name.isdigit():
            found = [p for p in label_path.parent.iterdir() if p.name.lower() == name.lower()]
            if found:
                image_path = found[0]
    if image_path is None or not image_path.is_file():
        raise InputError(f"{where}: its image file (.IMG) is missing", field="path")
    lines = int(_number(image, "LINES", where))
    samples = int(_number(image, "LINE_SAMPLES", where))
    sample_type = str(image.get("SAMPLE_TYPE", "")).upper()
    bits = int(_number(image, "SAMPLE_BITS", where))
    dtype = _SAMPLE_TYPES.get((sample_type, bits))
    if dtype is None:
        raise DataError(
            f"{where}: cannot read SAMPLE_TYPE {sample_type} with SAMPLE_BITS {bits}; "
            f"readable: {sorted(f'{t}/{b}' for t, b in _SAMPLE_TYPES)}"
        )
    bands = int(_number(image, "BANDS", where, default="1"))
    if bands != 1:
        raise DataError(f"{where}: {bands} bands; expected a single-band DEM")
    scaling = _number(image, "SCALING_FACTOR", where, default="1")
    offset = _number(image, "OFFSET", where, default="0")
    unit = str(image.get("UNIT", "METER")).upper()
    to_m = {
        "METER": 1.0,
        "METERS": 1.0,
        "M": 1.0,
        "KILOMETER": 1000.0,
        "KILOMETERS": 1000.0,
        "KM": 1000.0,
    }
    if unit not in to_m:
        raise DataError(f"{where}: UNIT = {unit}; expected METER or KILOMETER")
    kind = str(projection.get("MAP_PROJECTION_TYPE", "")).upper()
    center_lat = _number(projection, "CENTER_LATITUDE", where, default="nan")
    center_lon = _number(projection, "CENTER_LONGITUDE", where, default="0")
    radius_m = _number(
        projection,
        "A_AXIS_RADIUS",
        where,
        default=("1737.4", "KM"),
        unit_scale={"KM": 1000.0, "M": 1.0},
    )
    rotation = _number(projection, "MAP_PROJECTION_ROTATION", where, default="0")
    if kind != "POLAR STEREOGRAPHIC" or center_lat != -90.0:
        raise DataError(
            f"{where}: unknown projection {kind or 'missing'} centred on latitude {center_lat}; "
            "expected MAP_PROJECTION_TYPE = POLAR STEREOGRAPHIC with CENTER_LATITUDE = -90 "
            "(a LOLA south polar product)"
        )
    if abs(radius_m - MOON_RADIUS_M) > 1.0 or center_lon != 0.0 or rotation != 0.0:
        raise DataError(
            f"{where}: projection radius {radius_m} m, centre longitude {center_lon}, rotation "
            f"{rotation}; expected 1737400 m, 0 and 0 (the LOLA polar stereographic grid)"
        )
    scale_m = _number(
        projection,
        "MAP_SCALE",
        where,
        unit_scale={"METERS/PIXEL": 1.0, "KM/PIXEL": 1000.0, "M/PIXEL": 1.0},
    )
    line_offset = _number(projection, "LINE_PROJECTION_OFFSET", where)
    sample_offset = _number(projection, "SAMPLE_PROJECTION_OFFSET", where)
    expected = lines * samples * bits // 8
    size = image_path.stat().st_size
    if size != expected:
        raise DataError(
            f"{image_path}: holds {size} bytes but its label {label_path.name} describes "
            f"{lines} x {samples} samples of {bits} bits = {expected} bytes; the file is "
            "truncated or does not belong to this label"
        )
    x0 = -(sample_offset + 0.5) * scale_m
    y0 = (line_offset + 0.5) * scale_m
    r0, r1, c0, c1 = _window(x0, y0, scale_m, (lines, samples), bounds_m, str(image_path))
    raw = np.array(
        np.memmap(image_path, dtype=dtype, mode="r", shape=(lines, samples))[r0:r1, c0:c1]
    )
    values = raw.astype(np.float64)
    missing = image.get("MISSING_CONSTANT")
    if missing is not None:
        try:
            values[raw == np.asarray(float(str(missing).rstrip(".")), dtype=raw.dtype)] = np.nan
        except ValueError:
            pass  # hexadecimal or symbolic constants: NaNs in float data are caught below
    values = (values * scaling + offset) * to_m[unit]
    if abs(offset * to_m[unit] - MOON_RADIUS_M) < 1.0:
        values -= MOON_RADIUS_M  # the product stores radii
    values = fill_missing(values, fill, source=str(image_path))
    return Terrain(
        values,
        x0_m=x0 + c0 * scale_m,
        y0_m=y0 - r0 * scale_m,
        pixel_m=scale_m,
        source=str(image_path),
    )


# -- GeoTIFF --------------------------------------------------------------------------------------
def _check_crs(crs, where: str) -> None:
    """Accept south polar stereographic on a 1737.4 km sphere (e.g. IAU_2015:30135)."""
    from pyproj import CRS

    if crs is None:
        raise DataError(f"{where}: the GeoTIFF has no coordinate reference system; {_CRS_EXPECTED}")
    try:
        parsed = CRS.from_user_input(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)
    except Exception as error:  # pyproj raises its own CRSError
        raise DataError(f"{where}: unreadable CRS ({error}); {_CRS_EXPECTED}") from error
    ellipsoid = parsed.ellipsoid
    operation = parsed.coordinate_operation
    params = {}
    if operation is not None:
        params = {p.name.lower(): p.value for p in operation.params}
    method = (operation.method_name.lower() if operation is not None else "") or ""
    lat0 = params.get("latitude of natural origin", params.get("latitude of standard parallel"))
    lon0 = params.get("longitude of natural origin", params.get("longitude of origin", 0.0))
    k0 = params.get("scale factor at natural origin", 1.0)
    ok = (
        ellipsoid is not None
        and abs(ellipsoid.semi_major_metre - MOON_RADIUS_M) < 1.0
        and abs(ellipsoid.semi_minor_metre - MOON_RADIUS_M) < 1.0
        and "stereographic" in method
        and lat0 is not None
        and abs(lat0 + 90.0) < 1e-9
        and abs(lon0) < 1e-9
        and abs(k0 - 1.0) < 1e-12
        and abs(params.get("false easting", 0.0)) < 1e-6
        and abs(params.get("false northing", 0.0)) < 1e-6
    )
    if not ok:
        name = parsed.name
        raise DataError(f"{where}: unknown projection {name!r}; {_CRS_EXPECTED}")


_CRS_EXPECTED = (
    "expected south polar stereographic on a 1737.4 km sphere (IAU_2015:30135, "
    f"or '{PROJ4_SOUTH_POLAR}'); reproject it first, e.g. gdalwarp -t_srs IAU_2015:30135"
)


def read_geotiff(path, *, fill=None, bounds_m=None) -> Terrain:
    """A single-band GeoTIFF of heights (m above 1737.4 km) in south polar stereographic."""
    import rasterio
    from rasterio.windows import Window

    path = Path(path)
    where = str(path)
    try:
        with rasterio.open(path) as dataset:
            _check_crs(dataset.crs, where)
            transform = dataset.transform
            if dataset.count != 1:
                raise DataError(f"{where}: {dataset.count} bands; expected one band of heights")
            if (
                transform.b != 0
                or transform.d != 0
                or transform.e >= 0
                or abs(transform.a + transform.e) > 1e-9 * abs(transform.a)
            ):
                raise DataError(
                    f"{where}: expected square, north-up pixels (no rotation), got transform "
                    f"{tuple(transform)[:6]}"
                )
            shape = (dataset.height, dataset.width)
            r0, r1, c0, c1 = _window(transform.c, transform.f, transform.a, shape, bounds_m, where)
            window = Window(c0, r0, c1 - c0, r1 - r0)
            heights = dataset.read(1, masked=True, window=window)
            units = dataset.units[0] if dataset.units else None
    except rasterio.errors.RasterioIOError as error:
        raise DataError(f"{where}: not a readable GeoTIFF ({error})") from error
    values = np.ma.filled(heights.astype(np.float64), np.nan)
    if units and units.lower() in ("km", "kilometer", "kilometers", "kilometre", "kilometres"):
        values *= 1000.0
    values = fill_missing(values, fill, source=where)
    return Terrain(
        values,
        x0_m=transform.c + c0 * transform.a,
        y0_m=transform.f - r0 * transform.a,
        pixel_m=transform.a,
        source=where,
    )


def write_geotiff(
    path,
    data,
    terrain: Terrain,
    *,
    nodata: float | None = None,
    band_names: list[str] | None = None,
    units: str | None = None,
) -> Path:
    """Write a map on ``terrain``'s grid as a GeoTIFF (IAU_2015:30135), atomically.

    ``data``: (rows, cols) or (bands, rows, cols); float arrays are written as float32 and bool
    as uint8. The file is written to a temporary name in the same folder, then renamed.
    """
    import rasterio
    from pyproj import CRS
    from rasterio.transform import Affine

    path = Path(path)
    array = np.asarray(data)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != terrain.shape:
        raise InputError(
            f"map shape {np.shape(data)} does not match the terrain grid {terrain.shape}",
            field="data",
            hint="pass (rows, cols) or (bands, rows, cols) on the terrain's grid",
        )
    if array.dtype == bool:
        array = array.astype(np.uint8)
    elif np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float32)
    if band_names is not None and len(band_names) != array.shape[0]:
        raise InputError(
            f"{len(band_names)} band names for {array.shape[0]} bands", field="band_names"
        )
    crs = rasterio.crs.CRS.from_wkt(CRS.from_user_input("IAU_2015:30135").to_wkt())
    transform = Affine(terrain.pixel_m, 0.0, terrain.x0_m, 0.0, -terrain.pixel_m, terrain.y0_m)
    with atomic_path(path, suffix=".tif") as temporary:
        with rasterio.open(
            temporary,
            "w",
            driver="GTiff",
            width=array.shape[2],
            height=array.shape[1],
            count=array.shape[0],
            dtype=array.dtype,
            crs=crs,
            transform=transform,
            nodata=nodata,
            compress="deflate",
        ) as dataset:
            dataset.write(array)
            for band in range(array.shape[0]):
                if band_names is not None:
                    dataset.set_band_description(band + 1, band_names[band])
                if units is not None:
                    dataset.update_tags(band + 1, units=units)
            if units is not None:
                dataset.units = [units] * array.shape[0]
    return path
