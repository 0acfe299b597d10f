"""Science utilisation: partner shares, experiment requests, scheduling, and the data archive.

>>> from moonbase.science import synthetic_problem, build_instance, schedule_greedy
>>> problem = synthetic_problem(20, 3, 60, seed=1)
>>> schedule = schedule_greedy(build_instance(problem))
>>> schedule.value > 0
True
"""

from moonbase.science.archive import AccessDenied, DataArchive, DataProduct, Pds4Label
from moonbase.science.checker import check_schedule
from moonbase.science.cpsat import CpSatScheduler, replan, schedule_cpsat
from moonbase.science.greedy import schedule_greedy
from moonbase.science.instance import Instance, Rejection, build_instance
from moonbase.science.models import (
    Category,
    Contribution,
    ContributionKind,
    ExperimentRequest,
    Partner,
    SchedulingProblem,
    StationResources,
)
from moonbase.science.rolling import replan_by_windows, schedule_rolling
from moonbase.science.shares import (
    ISS_US_SEGMENT_SHARES,
    preset_partners,
    shares_from_contributions,
)
from moonbase.science.solution import (
    Assignment,
    Schedule,
    SchedulerConfig,
    delivered_shares,
    largest_share_deviation,
    runs_started,
)
from moonbase.science.synthetic import synthetic_problem

__all__ = [
    "ISS_US_SEGMENT_SHARES",
    "AccessDenied",
    "Assignment",
    "Category",
    "Contribution",
    "ContributionKind",
    "CpSatScheduler",
    "DataArchive",
    "DataProduct",
    "ExperimentRequest",
    "Instance",
    "Partner",
    "Pds4Label",
    "Rejection",
    "Schedule",
    "SchedulerConfig",
    "SchedulingProblem",
    "StationResources",
    "build_instance",
    "check_schedule",
    "delivered_shares",
    "largest_share_deviation",
    "preset_partners",
    "replan",
    "replan_by_windows",
    "runs_started",
    "schedule_cpsat",
    "schedule_greedy",
    "schedule_rolling",
    "shares_from_contributions",
    "synthetic_problem",
]
