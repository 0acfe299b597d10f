"""Self-contained HTML reports: sections of text, tables and plotly figures in one file.

:func:`plan_report` renders a :class:`moonbase.Plan` from its stages' own sections.
"""

from moonbase.report.html import Section, render_report, write_report

__all__ = ["Section", "plan_report", "render_report", "write_report"]


def __getattr__(name: str):
    if name == "plan_report":  # the plan imports every stage; load it on first use
        from moonbase.report.plan import plan_report

        return plan_report
    raise AttributeError(f"module 'moonbase.report' has no attribute {name!r}")
