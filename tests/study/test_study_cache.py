"""The site stage's disk cache: what its key depends on, writers racing, unreadable files."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from moonbase.scenario import Site
from moonbase.site.stage import site_terrain
from moonbase.study.cache import SiteCache, SiteChooser, site_key, terrain_fingerprint

SITE = Site(name="Ridge", latitude_deg=-89.44, longitude_deg=222.6, search_radius_km=1.0)
START, STOP = date(2030, 1, 1), date(2030, 1, 21)


@pytest.fixture(scope="module")
def terrain():
    return site_terrain(synthetic=True)


@pytest.fixture(scope="module")
def chosen(terrain, tmp_path_factory):
    chooser = SiteChooser(
        SiteCache(tmp_path_factory.mktemp("cache")), survey_days=10, n_azimuths=16
    )
    return chooser(SITE, terrain, start=START, stop=STOP, search_radius_km=1.0), chooser


def test_the_key_changes_with_every_input(terrain):
    base = terrain_fingerprint(terrain)
    kwargs = {"start": START, "stop": STOP, "search_radius_km": 1.0, "n_azimuths": 16}
    key = site_key(base, SITE, **kwargs)
    assert key == site_key(terrain_fingerprint(site_terrain(synthetic=True)), SITE, **kwargs)
    heights = np.array(terrain.inner.elevation_m, copy=True)
    heights[5, 7] += 0.01  # one centimetre on one cell
    moved = replace(terrain, inner=replace(terrain.inner, elevation_m=heights))
    others = [
        site_key(terrain_fingerprint(moved), SITE, **kwargs),
        site_key(base, SITE.model_copy(update={"latitude_deg": -89.45}), **kwargs),
        site_key(base, SITE.model_copy(update={"name": "Other"}), **kwargs),
        site_key(base, SITE, **{**kwargs, "stop": date(2030, 1, 22)}),
        site_key(base, SITE, **{**kwargs, "start": date(2030, 1, 2)}),
        site_key(base, SITE, **{**kwargs, "search_radius_km": 1.5}),
        site_key(base, SITE, **{**kwargs, "n_azimuths": 32}),
        site_key(base, SITE, **kwargs, survey_days=30),
        site_key(base, SITE, **kwargs, mast_height_m=10.0),
    ]
    assert len({key, *others}) == 1 + len(others)


def test_a_second_chooser_reads_what_the_first_stored(chosen, terrain):
    choice, first = chosen
    assert (first.computed, first.hits) == (1, 0)
    second = SiteChooser(first.cache, survey_days=10, n_azimuths=16)
    again = second(SITE, terrain, start=START, stop=STOP, search_radius_km=1.0)
    assert (second.computed, second.hits) == (0, 1)
    assert again.terrain is terrain
    assert (again.row, again.col) == (choice.row, choice.col)
    np.testing.assert_array_equal(again.horizon_deg, choice.horizon_deg)
    assert again.series.equals(choice.series)


def test_writers_racing_on_one_key_leave_one_whole_file(chosen, tmp_path):
    choice, _ = chosen
    cache = SiteCache(tmp_path)
    threads = [threading.Thread(target=cache.store, args=("k" * 64, choice)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [p.name for p in tmp_path.iterdir()] == [f"site-{'k' * 64}.pickle"]
    assert cache.load("k" * 64).horizon_deg.tolist() == choice.horizon_deg.tolist()


def test_an_unreadable_file_is_a_miss_and_is_replaced(chosen, terrain, tmp_path):
    chooser = SiteChooser(SiteCache(tmp_path), survey_days=10, n_azimuths=16)
    key = chooser.key(SITE, terrain, start=START, stop=STOP, search_radius_km=1.0)
    chooser.cache.path(key).write_bytes(b"not a pickle")
    assert chooser.cache.load(key) is None
    chooser(SITE, terrain, start=START, stop=STOP, search_radius_km=1.0)
    assert chooser.computed == 1 and chooser.cache.load(key) is not None
    assert SiteCache(None).load(key) is None and SiteCache(None).store(key, chosen[0]) is None
