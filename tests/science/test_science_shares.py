"""Shares: the documented contribution rule and the ISS preset."""

from __future__ import annotations

import pytest

from moonbase.errors import InputError
from moonbase.science.models import Contribution
from moonbase.science.shares import preset_partners, shares_from_contributions


def test_iss_preset_is_the_published_split():
    # US Orbital Segment utilisation (DESIGN.md, reference/ilrs-campaign.md).
    shares = {p.id: p.entitlement for p in preset_partners("ISS")}
    assert shares == {"NASA": 0.766, "JAXA": 0.128, "ESA": 0.083, "CSA": 0.023}
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)


def test_rule_by_hand():
    # A: element 2,000 kg at 1 M$/kg = 2,000 M$ + launch worth 1,000 M$; B: 500 M$ funding;
    # C: 500 kg element = 500 M$. Total 4,000 M$: A 75 %, B 12.5 %, C 12.5 %.
    contributions = [
        Contribution(partner="A", kind="element", mass_kg=2000),
        Contribution(partner="A", kind="launch", value_musd=1000),
        Contribution(partner="B", kind="funding", value_musd=500),
        Contribution(partner="C", kind="element", mass_kg=500),
    ]
    shares = shares_from_contributions(["A", "B", "C", "D"], contributions)
    assert shares == pytest.approx({"A": 0.75, "B": 0.125, "C": 0.125, "D": 0.0}, abs=1e-12)


def test_rule_reproduces_iss_split_from_iss_like_values():
    values = {"NASA": 766, "JAXA": 128, "ESA": 83, "CSA": 23}
    contributions = [
        Contribution(partner=p, kind="funding", value_musd=v) for p, v in values.items()
    ]
    shares = shares_from_contributions(values, contributions)
    assert shares == pytest.approx({p: v / 1000 for p, v in values.items()}, abs=1e-12)


def test_errors_name_the_field():
    with pytest.raises(InputError, match=r"contributions\[0\].partner"):
        shares_from_contributions(["A"], [Contribution(partner="Z", kind="funding", value_musd=1)])
    with pytest.raises(InputError, match="unknown share preset"):
        preset_partners("mir")
    with pytest.raises(ValueError, match="funding contribution needs value_musd"):
        Contribution(partner="A", kind="funding", mass_kg=3)


def test_one_share_rule_and_the_priority_conversion():
    import numpy as np

    from moonbase.science.adapters import science_priority
    from moonbase.science.shares import shares_of

    assert shares_of([3.0, 1.0]).tolist() == [0.75, 0.25]
    table = shares_of(np.array([[1.0, 0.0], [3.0, 0.0]]))  # partners x periods
    assert table[:, 0].tolist() == [0.25, 0.75]
    assert np.isnan(table[:, 1]).all()  # nothing to share in an empty period
    assert [science_priority(p) for p in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_science_result_shares_count_unmet_runs_by_hand(make_problem, make_request, schedule_of):
    """Two equal runs of A, one scheduled; B's one run scheduled; a run longer than the
    campaign rejected: A's unmet share is one run's utilisation of three, and 2 runs are unmet."""
    from moonbase.science.instance import build_instance
    from moonbase.science.stage import ScienceResult

    problem = make_problem(
        [
            make_request("a", "A", power_w=100.0, repeats=2),
            make_request("b", "B", power_w=100.0),
            make_request("long", "A", power_w=100.0, duration_h=24.0 * 30),
        ]
    )
    instance = build_instance(problem)
    assert [r.request_id for r in instance.rejections] == ["long"]
    schedule = schedule_of(problem, {("a", 0): 0, ("b", 0): 1})
    shares = ScienceResult(instance, {"cpsat": schedule}).shares()
    assert shares["A"]["requested_percent"] == pytest.approx(200 / 3)
    assert shares["A"]["delivered_percent"] == pytest.approx(50.0)
    assert shares["A"]["unmet_percent"] == pytest.approx(100 / 3)
    assert shares["A"]["unmet_requests"] == 2  # one run of "a", one of "long"
    assert shares["B"]["unmet_requests"] == 0 and shares["B"]["unmet_percent"] == 0.0
    assert shares["C"]["requested_percent"] == 0.0


def test_demand_capped_entitlements_by_hand():
    """Supply 500: B's entitled 50 covers its demand of 10, so B is capped at 10 / 500 = 2 %;
    A and C share the other 490 as 8 : 1 (435.6 and 54.4), C below its demand of 200."""
    import numpy as np

    from moonbase.science.shares import demand_capped_entitlements

    shares = demand_capped_entitlements([0.8, 0.1, 0.1], [900.0, 10.0, 200.0], 500.0)
    assert shares == pytest.approx([490 * 8 / 9 / 500, 0.02, 490 / 9 / 500])
    assert shares.sum() == pytest.approx(1.0)
    # Supply above all demand: everyone is capped, the shares are the demand shares.
    assert demand_capped_entitlements([0.5, 0.5], [30.0, 10.0], 100.0) == pytest.approx(
        [0.75, 0.25]
    )
    # No demand, no entitlement; nobody asks: nothing to share.
    assert demand_capped_entitlements([0.5, 0.5, np.nan], [10.0, 0.0, 5.0], 12.0)[1] == 0.0
    assert np.isnan(demand_capped_entitlements([0.5, 0.5], [0.0, 0.0], 1.0)).all()


def test_a_partner_asking_for_less_gets_all_and_the_others_stay_within_two_points(
    make_problem, make_request
):
    """Room for 40 one-day runs (4 a day for 10 days). A (50 %) and B (30 %) ask for 40 each;
    C (20 %) asks for 2, less than its 8. C gets both (its entitlement capped at 2 / 40 = 5 %);
    A and B share the rest 5 : 3 and stay within 2 points of it."""
    from moonbase.science.checker import check_schedule
    from moonbase.science.stage import schedule_fairly

    requests = [
        make_request(f"{p.lower()}{k}", p, power_w=250.0, repeats=10)
        for p in ("A", "B")
        for k in range(4)
    ]
    requests.append(make_request("c", "C", power_w=250.0, repeats=2))
    problem = make_problem(requests, n_buckets=10)
    result = schedule_fairly(problem, time_limit_s=5.0, workers=1)
    assert not check_schedule(problem, result.schedule)
    shares = result.shares()
    assert shares["C"]["unmet_requests"] == 0
    assert shares["C"]["entitlement_percent"] == pytest.approx(20.0)  # the scenario's
    assert shares["C"]["fair_share_percent"] == pytest.approx(5.0)  # capped at its demand
    for partner in ("A", "B"):
        row = shares[partner]
        assert row["unmet_requests"] > 0
        assert abs(row["delivered_percent"] - row["fair_share_percent"]) <= 2.0 + 1e-9
        assert row["delivered_percent"] >= row["entitlement_percent"] - 2.0
    # A and B share what C leaves as 5 : 3.
    assert shares["A"]["fair_share_percent"] / shares["B"]["fair_share_percent"] == (
        pytest.approx(5 / 3)
    )
