"""Studies on the plan: maps of :func:`moonbase.plan` over variants or samples, on Dask.

:func:`plan_risk` is the whole plan under risk (:mod:`moonbase.study.montecarlo`).

A trade study maps :func:`moonbase.plan` over variants of a base scenario: a study file
(:mod:`moonbase.study.models`) names the base, the plan's date and seed and the variants, each a
declarative set of changes (another site, surface or orbit, power elements, launchers, partners:
:mod:`moonbase.study.changes`) or a partner what-if (a partner withdraws from a date, or joins
with a contribution). :func:`run_study` plans every variant as a Dask task, the heavy site stage
once per distinct site and cached on disk (:mod:`moonbase.study.cache`); :func:`write_study`
writes the comparison page, ``study.csv`` and ``study.json`` beside each variant's own report.

>>> from moonbase.study import example_path, load_study
>>> study = load_study(example_path())
>>> [v.name for v in study.variants]
['connecting-ridge', 'shackleton-rim', 'orbit-node', 'surface-and-node']
"""

from importlib import resources
from pathlib import Path

from moonbase.study.cache import SiteCache, SiteChooser, default_cache_folder, site_key
from moonbase.study.changes import ChangeError, apply_variant
from moonbase.study.figures import FIGURES, partner_figures, variant_figures
from moonbase.study.load import Study, VariantSpec, load_study, loads_study, with_what_ifs
from moonbase.study.models import Joining, StudyFile, Variant, Withdrawal
from moonbase.study.montecarlo import PlanRisk, PlanRiskConfig, plan_risk
from moonbase.study.page import write_study
from moonbase.study.run import StudyResult, VariantOutcome, run_study

__all__ = [
    "FIGURES",
    "ChangeError",
    "Joining",
    "PlanRisk",
    "PlanRiskConfig",
    "SiteCache",
    "SiteChooser",
    "Study",
    "StudyFile",
    "StudyResult",
    "Variant",
    "VariantOutcome",
    "VariantSpec",
    "Withdrawal",
    "apply_variant",
    "default_cache_folder",
    "example_path",
    "load_study",
    "loads_study",
    "partner_figures",
    "plan_risk",
    "run_study",
    "site_key",
    "variant_figures",
    "with_what_ifs",
    "write_study",
]

#: Study files shipped with moonbase: name -> file under ``moonbase/study/data``.
EXAMPLES = {
    "surface-or-orbit": "surface_or_orbit.toml",
    "reactor-partner": "reactor_partner.toml",
    "two-sites": "two_sites.toml",
}


def example_path(name: str = "surface-or-orbit") -> Path:
    """Path of an example study file shipped with moonbase (see :data:`EXAMPLES`)."""
    return Path(str(resources.files("moonbase.study").joinpath("data", EXAMPLES[name])))
