"""The systems stage's report section: the station's KPIs and its hourly series."""

from __future__ import annotations

from moonbase.report import Section

__all__ = ["systems_section"]


def systems_section(run) -> Section:
    """Power, thermal, life support, ISRU and communications of a :class:`StationRun`."""
    figures = run.simulation.figures()
    kpis = run.kpis
    science = []
    if kpis.get("science_energy_demand_kwh", 0.0) > 0 or kpis.get("science_data_generated_gbit"):
        science.append(
            "Scheduled science runs on board as a load: "
            f"{kpis['science_energy_demand_kwh']:,.1f} kWh demanded "
            f"({kpis['science_energy_not_served_kwh']:,.1f} kWh not served); the twin's science "
            f"data: {kpis['science_data_generated_gbit']:,.1f} Gbit made, "
            f"{kpis['science_data_delivered_gbit']:,.1f} Gbit delivered, "
            f"{kpis['science_data_lost_gbit']:,.1f} Gbit lost."
        )
    return Section(
        "Systems: power, thermal, life support, ISRU and communications",
        paragraphs=[
            "The station is built from the scenario's surface elements; each element's "
            "components appear on the date the campaign plan has it operating. The drivers "
            "are the station cell's hourly Sun and Earth series against its terrain horizon "
            "(the site stage).",
            *science,
            *run.notes,
        ],
        tables=[run.simulation.kpi_table(), run.component_arrivals()],
        figures=list(figures.values()) if isinstance(figures, dict) else list(figures),
    )
