"""The systems stage's report section: the station's KPIs and its hourly series."""

from __future__ import annotations

from moonbase.report import Section

__all__ = ["systems_section"]


def systems_section(run) -> Section:
    """Power, thermal, life support, ISRU and communications of a :class:`StationRun`."""
    figures = run.simulation.figures()
    return Section(
        "Systems: power, thermal, life support, ISRU and communications",
        paragraphs=[
            "The station is built from the scenario's surface elements; each element's "
            "components appear on the date the campaign plan has it operating. The drivers "
            "are the station cell's hourly Sun and Earth series against its terrain horizon "
            "(the site stage).",
            *run.notes,
        ],
        tables=[run.simulation.kpi_table(), run.component_arrivals()],
        figures=list(figures.values()) if isinstance(figures, dict) else list(figures),
    )
