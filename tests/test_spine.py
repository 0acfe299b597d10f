"""The spine: one typed plan of the reference scenario, as of a date, on the packaged real terrain.

The coupling tests compare what a later stage used with what the earlier stage produced, and
with what a stage would have used had it invented its input (a flat horizon, the nominal site),
so that each fails when its coupling is cut.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

import moonbase
from moonbase.campaign import instance_from_scenario, landing_daylight_calendar
from moonbase.campaign.calendar import bucket_starts, daylight_by_bucket
from moonbase.cli.app import main
from moonbase.errors import InputError
from moonbase.pipeline import write_plan
from moonbase.scenario import builtin_scenario
from moonbase.site.series import site_time_series
from moonbase.site.stage import site_terrain
from moonbase.spine import SUMMARY_KEYS
from moonbase.systems.stage import run_station
from moonbase.terrain.projection import xy_of_latlon
from moonbase.time import time_range

AS_OF = date(2026, 12, 3)


@pytest.fixture(scope="module")
def reference_plan():
    return moonbase.plan(
        as_of=AS_OF,
        risk_runs=300,
        risk_workers=0,
        campaign_time_limit_s=20.0,
        science_time_limit_s=10.0,
    )


@pytest.fixture(scope="module")
def written(reference_plan, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return out, write_plan(reference_plan, out)


def test_every_stage_result_is_typed(reference_plan):
    from moonbase.campaign.stage import CampaignOutcome
    from moonbase.science.stage import ScienceResult
    from moonbase.site.stage import SiteChoice
    from moonbase.systems.stage import StationRun

    p = reference_plan
    assert isinstance(p, moonbase.Plan)
    assert isinstance(p.site, SiteChoice)
    assert isinstance(p.campaign, CampaignOutcome)
    assert isinstance(p.systems, StationRun)
    assert isinstance(p.science, ScienceResult)
    for name, annotation in moonbase.Plan.__annotations__.items():
        if name != "scenario":
            assert annotation != "object", name


def test_summary_json_schema(written, reference_plan):
    out, result = written
    summary = json.loads((out / "summary.json").read_text())
    assert summary == json.loads(json.dumps(result.summary))
    assert summary["as_of"] == "2026-12-03"
    for part, keys in SUMMARY_KEYS.items():
        assert set(keys) <= set(summary[part]), part
    assert summary["terrain"]["synthetic"] is False
    assert summary["terrain"]["far_field"] is True
    assert isinstance(summary["runtime_s"], float) and summary["runtime_s"] > 0
    assert 0.0 <= summary["campaign"]["p_basic_model_by_target"] <= 1.0
    assert summary["science"]["runs"] == len(reference_plan.science.schedule.assignments)
    for partner, row in summary["science"]["shares"].items():
        assert set(row) == {
            "entitlement_percent",
            "fair_share_percent",
            "delivered_percent",
            "requested_percent",
            "unmet_requests",
            "unservable_requests",
            "unmet_percent",
        }
        assert partner in {p.id for p in reference_plan.scenario.partners}
        assert 0.0 <= row["unmet_percent"] <= (row["requested_percent"] or 0.0) + 1e-9
    # The balances of the twin close (the systems stage's own check).
    assert summary["systems"]["max_balance_relative_residual"] < 1e-12
    # The science and systems sections agree on the science data sent down (the daily buckets'
    # rounding, ScienceResult.data_sent_tolerance_gbit).
    assert (
        abs(
            summary["systems"]["science_data_delivered_gbit"] - summary["science"]["data_sent_gbit"]
        )
        <= reference_plan.science.data_sent_tolerance_gbit()
    )


def test_the_plan_closes_or_says_what_is_unmet(reference_plan):
    # After the closure step the station survives, or the plan names the unmet need and its size.
    kpis, closure = reference_plan.systems.kpis, reference_plan.summary()["closure"]
    if closure["closed"]:
        assert kpis["critical_energy_not_served_kwh"] <= 1e-6 < kpis["min_survival_margin_h"]
    else:
        short = [u for u in closure["unmet"] if u["need"].startswith("survival")]
        assert short and short[0]["element"] and short[0]["reason"]
        key = "critical_energy_not_served_kwh" if short[0]["unit"] == "kWh" else None
        assert key is None or short[0]["amount"] == pytest.approx(kpis[key])


def test_report_renders_the_plan_with_the_summary_numbers(written):
    out, result = written
    html = result.report_path.read_text()
    for heading in ("Summary", "Scenario:", "Site:", "Campaign:", "Systems:", "Closure:"):
        assert f"<h2>{heading}" in html
    assert "<h2>Environment:" in html
    assert "Plan as of 2026-12-03" in html
    site = result.summary["site"]
    assert f"{site['lit_percent']:.6f}"[:7] in html
    assert "SYNTHETIC" not in html
    assert not list(out.glob(".*"))  # no temporary files left behind


def test_site_is_on_real_terrain_within_the_search_radius(reference_plan):
    p = reference_plan
    site = p.scenario.site
    assert not p.site.terrain.synthetic and p.site.terrain.far_field
    x0, y0 = xy_of_latlon(site.latitude_deg, site.longitude_deg)
    x, y = xy_of_latlon(p.site.latitude_deg, p.site.longitude_deg)
    assert np.hypot(x - x0, y - y0) <= site.search_radius_km * 1000.0 + 1.0
    # The Connecting Ridge at 2 m with the far field: Gläser 2014 gives 92.27 % (20 m DTM, one
    # year); our smoothed 200 m crop over the plan's 14 years must agree within a few points.
    assert 85.0 <= p.site.summary.lit_percent <= 97.0
    assert p.site.summary.longest_dark_hours < 10 * 24  # "typically 3-5 days" at the ridge


def test_nothing_launches_before_as_of(reference_plan):
    table = reference_plan.campaign.result.table()
    launched = table.dropna(subset=["launch_date"])
    assert len(launched) > 0
    assert (launched["launch_date"] >= pd.Timestamp(AS_OF)).all()
    history = set(reference_plan.campaign.history["element"])
    assert {"QUEQIAO-2", "CE-6", "LUNA-25"} <= history
    assert history.isdisjoint(launched["element"])
    assert reference_plan.campaign.first_launch() >= AS_OF


def test_twin_takes_its_light_from_the_chosen_cell(reference_plan):
    p = reference_plan
    drivers = p.systems.simulation.drivers
    series = p.site.series
    np.testing.assert_array_equal(
        drivers.sun_fraction, np.clip(series["sun_disk_fraction"].to_numpy(), 0, 1)
    )
    np.testing.assert_array_equal(drivers.earth_visible, series["earth_visible"].to_numpy(float))
    # ... which is not what a flat horizon at the same cell gives (the coupling is not moot).
    flat = site_time_series(
        np.zeros(360),
        p.site.latitude_deg,
        p.site.longitude_deg,
        p.site.ground_m + 2.0,
        time_range(str(AS_OF), "2027-12-03", "1h"),
    )
    n = len(flat)
    assert np.abs(drivers.sun_fraction[:n] - flat["sun_disk_fraction"].to_numpy()).max() > 0.5


def test_landing_daylight_comes_from_the_chosen_cells_terrain(reference_plan):
    p = reference_plan
    instance = p.campaign.result.instance
    window = p.scenario.campaign
    starts = bucket_starts(window.start, window.end, window.bucket)
    index = p.site.series.index.tz_convert(None)
    expected = daylight_by_bucket(starts, index.to_numpy(), p.site.series["lit"].to_numpy())
    np.testing.assert_allclose(instance.daylight_fraction, expected)
    # A flat horizon at the nominal site would give other landing months.
    flat = landing_daylight_calendar(
        starts, p.scenario.site.latitude_deg, p.scenario.site.longitude_deg
    )
    after = np.array(starts[:-1]) >= AS_OF
    assert np.abs(flat[after] - expected[after]).max() > 0.2


def test_arrivals_are_when_components_appear_and_element_windows_open(reference_plan):
    p = reference_plan
    arrivals = p.campaign.arrivals()
    resources = p.science.instance.problem.resources
    days = pd.date_range(resources.start_utc, periods=resources.n_buckets, freq="1D")
    checked = 0
    for element in p.scenario.elements:
        when = arrivals.get(element.id)
        parts = [c for c in p.systems.station.components if c.name.split(":")[0] == element.id]
        if when is None or not element.lands_at_site:
            continue
        for component in parts:
            assert component.arrival_utc == datetime(when.year, when.month, when.day)
        window = np.asarray(resources.windows[f"element:{element.id}"])
        first_open = int(np.argmax(window)) if window.any() else None
        if when > AS_OF:
            assert first_open is not None and days[first_open] == pd.Timestamp(when)
            checked += 1
    assert checked >= 3  # ILRS-1..5 and the power plant land at the station


def test_crew_stay_is_on_board_with_its_landed_consumables(reference_plan):
    # LANYUE-2 (2 crew, 14 d stay, at the site) arrives per the campaign: 2 x 14 = 28 crew-days
    # from its arrival; its landed stocks (crew x days x rate x 1.25) leave no deficit, and crew
    # time is offered to science only while the crew is on board (4 h per crew-day).
    from moonbase.science.adapters import resources_from_systems

    p = reference_plan
    arrival = p.campaign.arrivals().get("LANYUE-2")
    if arrival is None:
        pytest.skip("the plan does not fly LANYUE-2")
    crew = p.systems.simulation.series["crew"]
    on_board = crew.index[crew > 0]
    assert on_board[0] == pd.Timestamp(arrival)
    if on_board[0] + pd.Timedelta(days=14) <= crew.index[-1]:
        assert p.systems.crew_days == pytest.approx(28.0, abs=1e-9)
    kpis = p.systems.kpis
    # metabolic O2 (BVAD Rev 2, 0.895 kg per crew-day) and the O2 of the cabin air leaked while
    # the crew are on board (0.227 kg/d, 23.1 % O2 by mass); the rest of that air is make-up gas
    days_on_board = (crew > 0).sum() / 24.0
    leak_o2 = 0.227 * 0.231 * days_on_board
    assert kpis["o2_consumed_kg"] == pytest.approx(p.systems.crew_days * 0.895 + leak_o2, abs=1e-9)
    assert kpis["n2_consumed_kg"] == pytest.approx(0.227 * 0.769 * days_on_board, abs=1e-9)
    deficits = ("o2_deficit_kg", "water_deficit_kg", "food_deficit_kg", "n2_deficit_kg")
    assert all(kpis[key] == 0.0 for key in deficits)
    crew_h = sum(resources_from_systems(p.systems.simulation).crew_time_h)
    assert crew_h == pytest.approx(p.systems.crew_days * 4.0, abs=1e-6)


def test_as_of_outside_the_campaign_is_one_line(tmp_path, capsys):
    code = main(["run", "--out", str(tmp_path), "--as-of", "2050-01-01", "--synthetic-terrain"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("moonbase: error: --as-of:") and err.count("\n") == 1
    assert "2050-01-01" in err


def test_unknown_location_is_one_line(tmp_path, capsys):
    from moonbase.scenario.toml_io import builtin_path

    text = builtin_path("ilrs-reference").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('location = "LEIBNITZ-BETA"', 'location = "ATLANTIS"', 1))
    code = main(["run", "--out", str(tmp_path / "out"), "--scenario", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "bad.toml" in err and "ATLANTIS" in err and "location" in err
    assert not (tmp_path / "out").exists()


def test_packaged_dem_checksum_mismatch_is_one_line(tmp_path, capsys, monkeypatch):
    import moonbase.datastore as datastore
    import moonbase.terrain.packaged as packaged

    name = packaged.REFERENCE_DEM_FILE
    monkeypatch.setitem(datastore.PINNED, name, replace(datastore.PINNED[name], sha256="0" * 64))
    datastore.locate.cache_clear()  # verified once per process: verify again
    code = main(["run", "--out", str(tmp_path), "--as-of", "2026-12-03"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "checksum" in err and name in err
    datastore.locate.cache_clear()


def test_a_site_off_the_terrain_names_the_terrain_that_would_cover_it():
    scenario = builtin_scenario()
    moved = scenario.model_copy(
        update={
            "site": scenario.site.model_copy(update={"latitude_deg": -88.8, "longitude_deg": 123.4})
        }
    )
    terrain = site_terrain(far_field=False)
    with pytest.raises(InputError, match="is not on the terrain") as raised:
        moonbase.plan(moved, as_of=AS_OF, terrain=terrain, risk_runs=10, risk_workers=0)
    assert raised.value.field == "site" and "--dem" in raised.value.hint


def test_history_and_the_plans_date_in_the_campaign_instance():
    scenario = builtin_scenario()
    # As of 2024-04-01 Chang'e-6 (launched 2024-05-03) is still to fly; Queqiao-2 has flown.
    early = instance_from_scenario(scenario, as_of=date(2024, 4, 1))
    by_id = {e.id: e for e in early.elements}
    assert by_id["CE-6"].operating_from is None
    assert by_id["CE-6"].earliest_launch >= date(2024, 4, 1)
    assert by_id["QUEQIAO-2"].operating_from is not None
    late = instance_from_scenario(scenario, as_of=AS_OF)
    for e in late.elements:
        if e.operating_from is None and e.earliest_launch is not None:
            assert e.earliest_launch >= date(2027, 1, 1), e.id


def test_synthetic_terrain_is_labelled_wherever_it_appears():
    from moonbase.site.report import site_section
    from moonbase.site.stage import choose_site

    terrain = site_terrain(synthetic=True)
    assert terrain.synthetic and not terrain.far_field
    choice = choose_site(
        builtin_scenario().site, terrain, start=AS_OF, stop=date(2027, 1, 3), survey_days=30
    )
    assert "SYNTHETIC" in choice.summary.terrain
    section = site_section(choice)
    assert section.paragraphs[0].startswith("SYNTHETIC terrain (not a real place)")
    with pytest.raises(InputError, match="both"):
        site_terrain("dem.npy", synthetic=True)


def test_science_programme_is_a_research_stations_and_fair(reference_plan):
    # Hundreds of runs a year once the basic model operates; every partner within 2 points of its
    # entitlement (capped at its demand, moonbase.science.shares) or with nothing left unmet.
    from moonbase.science.checker import check_schedule

    science = reference_plan.science
    assert not check_schedule(science.instance.problem, science.schedule)
    operating = date.fromisoformat(reference_plan.summary()["campaign"]["basic_model_operating"])
    end = reference_plan.scenario.campaign.end
    later = [
        a for a in science.schedule.assignments if date.fromisoformat(a.start_utc[:10]) >= operating
    ]
    years = (end - operating).days / 365.25
    assert years > 1 and len(later) / years >= 200
    for partner, row in reference_plan.summary()["science"]["shares"].items():
        # Within 2 points of its entitlement, or all it asked for when it asked for less; the
        # share a partner leaves unused goes to the others (fair_share_percent, the band's target).
        within = abs(row["delivered_percent"] - row["fair_share_percent"]) <= 2.0 + 1e-9
        assert within or row["unmet_requests"] == 0, partner
        # below its entitlement, what is left unscheduled no schedule could place in the span
        if row["delivered_percent"] < row["entitlement_percent"] - 2.0:
            assert row["unmet_requests"] == row["unservable_requests"], partner
    # Payloads on Chang'e-7 and Chang'e-8 (away from the station) are left out, with the reason.
    off = dict(science.off_station)
    assert "CE8-INTL-THAILAND" in off and "LEIBNITZ-BETA" in off["CE8-INTL-THAILAND"]
    assert not {r.id for r in science.instance.problem.requests} & set(off)


def test_manifests_reach_the_twins_stores(reference_plan):
    # The logistics step's manifests are the twin's cargo: each loaded flight's manifest arrives
    # in the stores on the flight's arrival with its contents. Lanyue-2 lands no make-up gas:
    # the N2 its cabin leaks over 14 days (0.227 kg/d x 76.9 %) plus a 3-day reserve must come
    # on an earlier flight; cut the manifests and the store runs dry by the leak.
    p = reference_plan
    logistics, run = p.logistics, p.systems_before_science
    cargo = {c.name: c for c in run.station.of_type("cargo") if c.name.startswith("manifest:")}
    assert cargo and sum(sum(c.contents_kg.values()) for c in cargo.values()) == pytest.approx(
        logistics.manifests.total_kg()
    )
    series = run.simulation.series
    for carrier in logistics.carriers:
        load = logistics.manifests.loads_kg.get(carrier.flight)
        if load:
            arrived = series.loc[pd.Timestamp(carrier.arrival)]
            for key, kg in load.items():
                assert arrived[f"{key}_delivered_kg"] >= kg - 1e-9
    leak_n2 = 0.227 * 0.769 * 14
    assert logistics.manifests.total_kg("n2") == pytest.approx(leak_n2 + 0.227 * 0.769 * 3)
    assert run.kpis["n2_deficit_kg"] == 0.0 and logistics.check(run) == ()
    bare = run_station(p.scenario, p.site, p.campaign)
    assert bare.kpis["n2_deficit_kg"] == pytest.approx(leak_n2, abs=1e-9)
    # the spares the research modules' failures draw come on the flights too
    assert logistics.manifests.total_kg("spares") > 0
    assert logistics.summary(run)["max_balance_relative_residual"] < 1e-12


def test_science_runs_get_their_consumables_from_the_flights(reference_plan):
    # Every adopted run uses its experiment's consumables_kg_per_run as it starts; the science
    # manifests bring them in time, so the second pass draws exactly that sum with no deficit.
    p = reference_plan
    per_run = {e.id: e.consumables_kg_per_run for e in p.scenario.experiments}
    runs = p.science.schedule.assignments
    hand = sum(per_run[a.request_id] for a in runs)
    assert hand > 0
    kpis = p.systems.kpis
    assert kpis["science_consumed_kg"] == pytest.approx(hand, abs=1e-9)
    assert kpis["science_deficit_kg"] == pytest.approx(0.0, abs=1e-6)
    assert p.logistics.science is not None
    assert p.logistics.science.total_kg("science") == pytest.approx(hand, abs=1e-6)
    # cut: the second pass without the science manifests runs short by all of it
    from moonbase.systems.stage import run_station_with

    short = run_station_with(p.systems_before_science, [p.science.station_load()])
    assert short.kpis["science_deficit_kg"] == pytest.approx(hand, abs=1e-6)
