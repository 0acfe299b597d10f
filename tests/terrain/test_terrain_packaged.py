"""The packaged reference DEM: georeferencing, agreement with the shared crops, and its checksum.

The shared crops (``../shared/data/dem/lola_shackleton_godotrobot``) are needed only for the
comparisons; the packaged file itself ships with moonbase.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util

import numpy as np
import pytest

from moonbase import datastore
from moonbase.errors import DataError
from moonbase.terrain import REFERENCE_DEM_SOURCE, Terrain, reference_dem
from moonbase.terrain.packaged import REFERENCE_DEM_FILE

from ..conftest import REPO

FOLDER = ("dem", "lola_shackleton_godotrobot")
QUANTUM_M = 0.25
EDITED = np.s_[103:153, 103:153]  # the square the script found and repaired


def test_reference_dem_is_the_200m_crop_in_place():
    dem = reference_dem()
    assert isinstance(dem, Terrain) and dem.source == REFERENCE_DEM_SOURCE
    assert "packaged LOLA-derived 200 m crop" in dem.source and "repaired" in dem.source
    assert dem.shape == (256, 256) and dem.pixel_m == 200.0
    assert (dem.x0_m, dem.y0_m) == (-30_000.0, 15_000.0)
    # The Connecting Ridge high point (data README): +1873 m at 89.44 S, 222.6 E.
    lat, lon = dem.latlon_grids()
    top = int(np.argmax(dem.elevation_m))
    assert dem.elevation_m.flat[top] == pytest.approx(1873.4, abs=QUANTUM_M)
    assert abs(lat.flat[top] + 89.44) < 0.005 and abs(lon.flat[top] - 222.6) < 0.05
    assert reference_dem() is dem  # cached: read and verified once per process


def test_packaged_file_is_small_and_pinned():
    path = datastore.locate(REFERENCE_DEM_FILE)
    assert path.stat().st_size <= 300_000
    assert hashlib.sha256(path.read_bytes()).hexdigest() == datastore.REFERENCE_DEM_SHA256
    with np.load(path, allow_pickle=False) as bundle:
        assert bundle["elevation_q"].dtype == np.int16
        assert float(bundle["scale_m"]) == QUANTUM_M
        assert "+proj=stere +lat_0=-90" in str(bundle["projection"])
        assert "Smith et al. 2010" in str(bundle["provenance"])
        assert bundle["repaired_rows"].tolist() == [103, 153]


@pytest.mark.shared_data
def test_equals_the_shared_crop_outside_the_square_and_the_zoom_inside(shared_data):
    folder = shared_data.joinpath(*FOLDER)
    ridge = np.load(folder / "shackridge_200m_256x256_elev_m.npy").astype(float)
    zoom = np.load(folder / "shackzoom_40m_256x256_elev_m.npy").astype(float)
    dem = reference_dem().elevation_m
    outside = np.ones(dem.shape, dtype=bool)
    outside[EDITED] = False
    # Outside the repaired square: the 200 m crop, to the 0.25 m quantisation.
    assert np.abs(dem[outside] - ridge[outside]).max() <= QUANTUM_M / 2 + 1e-9
    # Inside: the 40 m crop (corner 2 x 2 pixels of 40 m into cell (102, 102)) averaged 5 x 5.
    averaged = zoom[3:253, 3:253].reshape(50, 5, 50, 5).mean(axis=(1, 3))
    assert np.abs(dem[EDITED] - averaged).max() <= QUANTUM_M / 2 + 1e-9
    # The raw square was about 145 m too low; the repair lifts it by that much.
    assert np.mean(dem[EDITED] - ridge[EDITED]) == pytest.approx(145.3, abs=1.0)


@pytest.mark.shared_data
def test_script_regenerates_the_file_byte_for_byte(shared_data, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "make_reference_dem", REPO / "scripts" / "make_reference_dem.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "reference_dem.npz"
    assert script.main(["--data", str(shared_data.joinpath(*FOLDER)), "--out", str(out)]) == 0
    assert hashlib.sha256(out.read_bytes()).hexdigest() == datastore.REFERENCE_DEM_SHA256
    printed = capsys.readouterr().out
    assert "shackridge[103:153, 103:153]" in printed and "repaired" in printed


def test_checksum_mismatch_names_the_file_and_the_fix(monkeypatch):
    pinned = datastore.PINNED[REFERENCE_DEM_FILE]
    monkeypatch.setitem(
        datastore.PINNED, REFERENCE_DEM_FILE, dataclasses.replace(pinned, sha256="0" * 64)
    )
    datastore.locate.cache_clear()
    try:
        with pytest.raises(DataError) as error:
            reference_dem()
    finally:
        datastore.locate.cache_clear()
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("reference_dem.npz: checksum mismatch at ")
    assert "reinstall moonbase" in message and "scripts/make_reference_dem.py" in message
