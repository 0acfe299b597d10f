"""Self-contained HTML reports: sections of text, tables and plotly figures in one file."""

from moonbase.report.html import Section, render_report, write_report

__all__ = ["Section", "render_report", "write_report"]
