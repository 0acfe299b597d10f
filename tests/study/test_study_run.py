"""A study on Dask: 1 and 2 local workers give identical results; the site stage runs once per
distinct site and comes from the disk cache on the second run; failed variants are listed and the
others run."""

from __future__ import annotations

import json

import pytest

from moonbase.study import load_study, run_study, write_study
from moonbase.study.cache import SiteCache

BODY = """
[[variants]]
name = "site-a"
description = "the base"

[[variants]]
name = "site-a-again"
description = "the base under another name: the same site stage as site-a"
elements = { LAB-1 = { power_consumed_operating_w = 2400.0 } }

[[variants]]
name = "bad-key"
site = { latitud_deg = -89.6 }

[[variants]]
name = "breaks"
site = { latitude_deg = -95.0 }

[[variants]]
name = "orbit-only"
station = "orbit"
orbit = { name = "LLO", family = "llo", altitude_km = 100.0, inclination_deg = 90.0 }
policies = { basic_model = ["RELAY-1"] }

[[variants.add_elements]]
id = "RELAY-1"
name = "Relay"
partner = "A"
role = "relay"
location = "orbit"
mass_tli_kg = 1000.0
provenance = "notional"
source = "test"
"""

#: What may differ between two runs of the same study: how long things took, and where.
_RUN_ONLY = {"runtime_s", "wall_s", "workers", "site_computed", "cache"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from .conftest import study_text

    folder = tmp_path_factory.mktemp("study")
    path = folder / "study.toml"
    path.write_text(study_text(BODY), encoding="utf-8")
    study = load_study(path)
    cache = folder / "cache"
    one = run_study(study, folder / "one", workers=1, cache=cache)
    two = run_study(study, folder / "two", workers=2, cache=cache)
    return study, one, two, write_study(one), write_study(two), cache


def _without_run_facts(data):
    if isinstance(data, dict):
        return {k: _without_run_facts(v) for k, v in data.items() if k not in _RUN_ONLY}
    if isinstance(data, list):
        return [_without_run_facts(v) for v in data]
    return data


def test_results_do_not_depend_on_the_number_of_workers(runs):
    _, one, two, paths_one, paths_two, _ = runs
    assert (one.workers, two.workers) == (1, 2)
    a = json.loads(paths_one["json"].read_text())
    b = json.loads(paths_two["json"].read_text())
    assert _without_run_facts(a) == _without_run_facts(b)
    for outcome in one.outcomes:
        if not outcome.ok:
            continue
        first = json.loads((one.out / "variants" / outcome.name / "summary.json").read_text())
        second = json.loads((two.out / "variants" / outcome.name / "summary.json").read_text())
        assert _without_run_facts(first) == _without_run_facts(second), outcome.name


def test_the_site_stage_runs_once_per_site_and_then_comes_from_the_cache(runs):
    study, one, two, *_, cache = runs
    # site-a and site-a-again share their site stage: two surface variants, one stage
    assert one.site_stages == two.site_stages == 1
    assert one.site_computed == 1 and two.site_computed == 0
    assert len(list(cache.glob("site-*.pickle"))) == 1
    for result in (one, two):
        for outcome in result.outcomes:
            if outcome.ok:  # each plan took its site from the site task, none ran its own
                assert (outcome.site_hits, outcome.site_computed) == (1, 0), outcome.name
    # what the cache holds is what the plans used: the chosen cell of site-a's plan
    from moonbase.study.cache import SiteChooser
    from moonbase.study.run import TerrainSpec, build_terrain

    spec = study.variant("site-a").scenario
    chooser = SiteChooser(SiteCache(cache), survey_days=30, n_azimuths=90)
    terrain = build_terrain(TerrainSpec.of(study.options, study.folder))
    cached = chooser(
        spec.site,
        terrain,
        start=study.as_of,
        stop=spec.campaign.end,
        search_radius_km=spec.site.search_radius_km,
    )
    assert chooser.hits == 1 and chooser.computed == 0
    figures = one.outcome("site-a").figures
    assert (cached.latitude_deg, cached.longitude_deg) == (
        figures["latitude_deg"],
        figures["longitude_deg"],
    )


def test_failed_variants_are_listed_with_their_reason_and_the_others_run(runs):
    _, one, _, paths, *_ = runs
    status = {o.name: o.ok for o in one.outcomes}
    assert status == {
        "site-a": True,
        "site-a-again": True,
        "bad-key": False,
        "breaks": False,
        "orbit-only": False,
    }
    bad, breaks, orbit = (one.outcome(n) for n in ("bad-key", "breaks", "orbit-only"))
    assert bad.stage == breaks.stage == "study file"
    assert "variant 'bad-key': variants[2].site.latitud_deg: unknown key" in bad.failure
    assert "variant 'breaks': scenario site.latitude_deg" in breaks.failure
    # the plan cannot make a station without a surface site or node elements (an element in
    # orbit, a relay, is not part of the node)
    assert orbit.stage == "plan" and orbit.failure.startswith("variant 'orbit-only': site:")
    page = paths["html"].read_text()
    for outcome in one.outcomes:
        assert f"data-variant='{outcome.name}'" in page
    for outcome in (bad, breaks, orbit):
        assert outcome.failure.split(": ")[-1][:40].replace("'", "&#x27;") in page
    rows = (paths["csv"]).read_text().splitlines()
    assert len(rows) == 1 + 5 and rows[0].startswith("variant,kind,status,reason,pareto")
