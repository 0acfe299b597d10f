"""The main job writes a self-contained report and its tables."""

from __future__ import annotations

import pandas as pd

from moonbase.cli.app import main


def test_run_writes_report_and_tables(tmp_path, capsys):
    assert main(["run", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Report:" in out
    html = (tmp_path / "report.html").read_text()
    assert "<h2>Environment: Sun and Earth at the site</h2>" in html
    assert "plotly" in html.lower()
    series = pd.read_csv(tmp_path / "environment.csv", index_col=0)
    assert len(series) == 8761  # 2030, hourly, both ends included
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind
