"""DEM readers and the GeoTIFF writer: LOLA PDS3 labels, GeoTIFF, .npy, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.errors import DataError, InputError
from moonbase.terrain import (
    flat_terrain,
    horizon_at_points,
    read_dem,
    synthetic_terrain,
    write_geotiff,
)

# A label in the layout of the LOLA polar GDR products (LDEM_85S_10M.LBL and kin): 16-bit
# integers, radius = DN * 0.5 m + 1737400 m, and the DSMAP_POLAR convention
# x = (sample - SAMPLE_PROJECTION_OFFSET - 1) * MAP_SCALE for 1-based samples.
LABEL = """PDS_VERSION_ID = "PDS3"
/* comment line */
RECORD_TYPE = FIXED_LENGTH
^IMAGE = "{image}"
OBJECT = IMAGE
  LINES = {lines}
  LINE_SAMPLES = {samples}
  SAMPLE_TYPE = LSB_INTEGER
  SAMPLE_BITS = 16
  UNIT = METER
  SCALING_FACTOR = 0.5
  OFFSET = 1737400.
  DESCRIPTION = "radius, a multi-line
  description"
END_OBJECT = IMAGE
OBJECT = IMAGE_MAP_PROJECTION
  ^DATA_SET_MAP_PROJECTION = "DSMAP_POLAR.CAT"
  MAP_PROJECTION_TYPE = "{projection}"
  A_AXIS_RADIUS = 1737.4 <KM>
  B_AXIS_RADIUS = 1737.4 <KM>
  C_AXIS_RADIUS = 1737.4 <KM>
  CENTER_LATITUDE = -90.
  CENTER_LONGITUDE = 0.
  MAP_SCALE = 20 <METERS/PIXEL>
  LINE_PROJECTION_OFFSET = {line_offset} <PIXEL>
  SAMPLE_PROJECTION_OFFSET = {sample_offset} <PIXEL>
  MAP_PROJECTION_ROTATION = 0.0
END_OBJECT = IMAGE_MAP_PROJECTION
END
"""


def _write_pds3(
    folder, dn, *, projection="POLAR STEREOGRAPHIC", line_offset=2.5, sample_offset=3.5, extra=b""
):
    lines, samples = dn.shape
    (folder / "LDEM_TEST.LBL").write_text(
        LABEL.format(
            image="LDEM_TEST.IMG",
            lines=lines,
            samples=samples,
            projection=projection,
            line_offset=line_offset,
            sample_offset=sample_offset,
        )
    )
    (folder / "LDEM_TEST.IMG").write_bytes(dn.astype("<i2").tobytes() + extra)
    return folder / "LDEM_TEST.LBL"


def test_pds3_heights_and_georeferencing(tmp_path):
    dn = np.arange(6 * 8, dtype=np.int16).reshape(6, 8) - 20
    label = _write_pds3(tmp_path, dn)
    t = read_dem(label)
    assert t.shape == (6, 8)
    np.testing.assert_array_equal(t.elevation_m, dn * 0.5)  # radius - 1737.4 km
    # Centre of pixel (row 2, col 3) (0-based) = (line 3, sample 4) is 0.5 px right/up of
    # the projection origin: x = (4 - 3.5 - 1) * 20 = -10 m, y = -(3 - 2.5 - 1) * 20 = +10 m.
    x, y = t.xy_grids()
    assert (x[2, 3], y[2, 3]) == (-10.0, 10.0)
    assert t.pixel_m == 20.0
    assert read_dem(tmp_path / "LDEM_TEST.IMG").elevation_m[0, 0] == -10.0


def test_cropping_with_bounds(tmp_path):
    """bounds_m reads the pixels overlapping a box, with the geotransform moved to match."""
    dn = np.arange(6 * 8, dtype=np.int16).reshape(6, 8)
    label = _write_pds3(tmp_path, dn)
    full = read_dem(label)
    # Pixels are 20 m; the box touches cols 2..4 and rows 1..3 of the full grid.
    box = (full.x0_m + 45.0, full.x0_m + 95.0, full.y0_m - 75.0, full.y0_m - 25.0)
    part = read_dem(label, bounds_m=box)
    np.testing.assert_array_equal(part.elevation_m, full.elevation_m[1:4, 2:5])
    assert (part.x0_m, part.y0_m) == (full.x0_m + 40.0, full.y0_m - 20.0)
    t = synthetic_terrain((20, 30), 50.0, seed=4)
    tif = write_geotiff(tmp_path / "dem.tif", t.elevation_m, t)
    npy = tmp_path / "dem.npy"
    np.save(npy, t.elevation_m)
    box = (t.x0_m + 100.0, t.x0_m + 600.0, t.y0_m - 400.0, t.y0_m - 1.0)
    from_tif = read_dem(tif, bounds_m=box)
    from_npy = read_dem(npy, corner_xy_m=(t.x0_m, t.y0_m), pixel_m=50.0, bounds_m=box)
    for part in (from_tif, from_npy):
        np.testing.assert_allclose(part.elevation_m, t.elevation_m[0:8, 2:12], atol=1e-4)
        assert (part.x0_m, part.y0_m) == (t.x0_m + 100.0, t.y0_m)
    with pytest.raises(InputError, match="covers less than 2 x 2 pixels"):
        read_dem(label, bounds_m=(1e6, 2e6, 1e6, 2e6))


def test_pds3_wrong_size_names_the_file(tmp_path):
    label = _write_pds3(tmp_path, np.zeros((6, 8)), extra=b"\0\0")
    with pytest.raises(DataError, match=r"LDEM_TEST.IMG: holds 98 bytes .* 96 bytes"):
        read_dem(label)


def test_pds3_unknown_projection(tmp_path):
    label = _write_pds3(tmp_path, np.zeros((6, 8)), projection="EQUIRECTANGULAR")
    with pytest.raises(DataError, match=r"LDEM_TEST.LBL: unknown projection EQUIRECTANGULAR"):
        read_dem(label)


def test_pds3_missing_label(tmp_path):
    (tmp_path / "LONELY.IMG").write_bytes(b"\0" * 8)
    with pytest.raises(InputError, match="no PDS3 label"):
        read_dem(tmp_path / "LONELY.IMG")


def test_npy_needs_geotransform_and_reports_nans(tmp_path):
    heights = np.zeros((5, 7))
    heights[3, 4] = heights[4, 6] = np.nan
    path = tmp_path / "dem.npy"
    np.save(path, heights)
    with pytest.raises(InputError, match="no georeferencing"):
        read_dem(path)
    with pytest.raises(
        DataError, match=r"dem.npy: 2 of 35 heights are missing .*rows 3..4, cols 4..6"
    ):
        read_dem(path, corner_xy_m=(0.0, 0.0), pixel_m=10.0)
    filled = read_dem(path, corner_xy_m=(0.0, 0.0), pixel_m=10.0, fill=-5.0)
    assert filled.elevation_m[3, 4] == -5.0
    heights[np.isnan(heights)] = 0
    heights[2, 4] = 7.0
    heights[3, 4] = np.nan
    np.save(path, heights)
    nearest = read_dem(path, corner_xy_m=(0.0, 0.0), pixel_m=10.0, fill="nearest")
    assert nearest.elevation_m[3, 4] in (0.0, 7.0) and np.isfinite(nearest.elevation_m).all()


def test_unknown_suffix(tmp_path):
    path = tmp_path / "dem.xyz"
    path.write_text("1 2 3")
    with pytest.raises(InputError, match="unknown DEM format"):
        read_dem(path)


def test_geotiff_round_trip_and_crs(tmp_path):
    rasterio = pytest.importorskip("rasterio")
    t = synthetic_terrain((20, 30), 50.0, seed=4, center_xy_m=(-3000.0, 8000.0))
    path = write_geotiff(tmp_path / "maps" / "dem.tif", t.elevation_m, t, units="m")
    assert not list(path.parent.glob(".*tmp"))  # the temporary file was renamed away
    back = read_dem(path)
    assert (back.x0_m, back.y0_m, back.pixel_m) == (t.x0_m, t.y0_m, t.pixel_m)
    np.testing.assert_allclose(back.elevation_m, t.elevation_m.astype(np.float32))
    with rasterio.open(path) as dataset:
        assert "Polar" in dataset.crs.to_wkt() or "polar" in dataset.crs.to_wkt()
    with pytest.raises(InputError, match="does not match the terrain grid"):
        write_geotiff(tmp_path / "bad.tif", np.zeros((3, 3)), t)


def test_geotiff_wrong_projection(tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import Affine

    path = tmp_path / "earth.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(0.5, 0.0, 100.0, 0.0, -0.5, 50.0),
    ) as dataset:
        dataset.write(np.zeros((1, 4, 4), dtype=np.float32))
    with pytest.raises(DataError, match=r"earth.tif: unknown projection .*IAU_2015:30135"):
        read_dem(path)


def test_site_outside_the_map():
    t = flat_terrain((16, 16), 100.0)
    with pytest.raises(
        InputError, match=r"latitude_deg, longitude_deg: 1 point\(s\) lie outside the map"
    ):
        horizon_at_points(t, [-89.99, -85.0], [0.0, 0.0])
