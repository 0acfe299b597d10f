"""Study fixtures: the tiny station (three partners, a reactor) and study files made from it.

Plans are kept quick: the documented synthetic terrain with a 30-day survey at 90 azimuths, a
3-year campaign, 50 Monte Carlo runs and short solver limits.
"""

from __future__ import annotations

from pathlib import Path

import distributed  # noqa: F401  (see below)
import pytest

from moonbase.study import example_path

# distributed's configuration is loaded before any test changes one of its keys: a
# ``dask.config.set`` on a section that does not exist yet removes the whole section on exit, and a
# local cluster started later in the same process then finds no "distributed" configuration.

#: The tiny station shipped beside the example studies (three partners, a reactor, three years).
TINY = example_path("two-sites").with_name("tiny_station.toml")

#: The head of every test study: the tiny station as of its first day, quick options.
HEAD = f"""\
name = "Tiny trade"
base = "{TINY.as_posix()}"
as_of = 2030-01-01
seed = 1

[options]
risk_runs = 50
campaign_time_limit_s = 2.0
science_time_limit_s = 0.3
replan_time_limit_s = 2.0
terrain = "synthetic"
survey_days = 30
n_azimuths = 90
"""


def study_text(body: str) -> str:
    """A study file of the tiny station with ``body`` (variants, what-ifs) after :data:`HEAD`."""
    return HEAD + "\n" + body


@pytest.fixture
def write_study_file(tmp_path):
    """``write_study_file(body)`` writes ``study.toml`` (the head and ``body``) and returns it."""

    def write(body: str, name: str = "study.toml") -> Path:
        path = tmp_path / name
        path.write_text(study_text(body), encoding="utf-8")
        return path

    return write
