"""``moonbase campaign plan|risk`` on a small instance file, and its one-line errors."""

from __future__ import annotations

import json

from moonbase.campaign.synthetic import synthetic_instance
from moonbase.cli.app import main


def _instance_file(tmp_path):
    path = tmp_path / "instance.json"
    path.write_text(synthetic_instance(8, 5, 2, 3, seed=1).model_dump_json())
    return path


def test_plan_writes_tables_and_gantt(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "campaign",
            "plan",
            "--instance",
            str(_instance_file(tmp_path)),
            "--time-limit",
            "5",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "status optimal" in text and "basic model complete" in text
    saved = json.loads((out / "campaign_plan.json").read_text())
    assert saved["values"]["earliest_basic_model"] <= saved["greedy_values"]["earliest_basic_model"]
    assert (out / "campaign_plan.csv").read_text().startswith("element,partner")
    assert "plotly" in (out / "campaign_gantt.html").read_text()


def test_risk_runs_in_process(tmp_path, capsys):
    out = tmp_path / "risk"
    code = main(
        [
            "campaign",
            "risk",
            "--instance",
            str(_instance_file(tmp_path)),
            "--runs",
            "400",
            "--workers",
            "0",
            "--time-limit",
            "5",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    summary = json.loads((out / "risk_summary.json").read_text())
    assert summary["runs"] == 400 and 0.0 <= summary["probability_by_target"] <= 1.0
    assert "partner" in (out / "risk_partners.csv").read_text()


def test_errors_are_one_line(tmp_path, capsys):
    assert main(["campaign", "plan", "--objective", "fastest"]) == 2
    assert "--objective: unknown objective 'fastest'" in capsys.readouterr().err
    assert main(["campaign", "plan", "--instance", str(tmp_path / "none.json")]) == 2
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    data = json.loads(synthetic_instance(4, 3, 1, 2).model_dump_json())
    data["elements"][1]["requires"] = ["ILRS-9"]
    bad.write_text(json.dumps(data))
    assert main(["campaign", "plan", "--instance", str(bad)]) == 2
    assert "requires unknown element 'ILRS-9'" in capsys.readouterr().err
    assert main(["campaign", "risk", "--runs", "0"]) == 2


def test_figures_show_every_flown_element():
    from moonbase.campaign import gantt_figure, monte_carlo, optimise_campaign

    instance = synthetic_instance(8, 5, 2, 3, seed=1)
    result = optimise_campaign(instance, time_limit_s=5)
    figure = gantt_figure(instance, result.plan)
    labels = {label for trace in figure.data for label in trace.y}
    assert len(labels) == len(result.plan.launch_bucket())
    mc = monte_carlo(result, n_runs=200, n_workers=0)
    assert f"{mc.probability_by():.1%}" in mc.figure().layout.title.text


def test_plan_as_of_a_date_launches_nothing_before_it(tmp_path, capsys):
    import pandas as pd

    code = main(
        ["campaign", "plan", "--as-of", "2026-12-03", "--time-limit", "10", "--out", str(tmp_path)]
    )
    assert code == 0
    assert "Plan as of 2026-12-03" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "campaign_plan.csv").dropna(subset=["launch_date"])
    assert (pd.to_datetime(table["launch_date"]) >= pd.Timestamp("2026-12-03")).all()
    assert main(["campaign", "plan", "--as-of", "2050-01-01"]) == 2
    assert "--as-of" in capsys.readouterr().err
