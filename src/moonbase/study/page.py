"""A study's outputs: ``study.html`` (one self-contained page), ``study.csv`` and ``study.json``.

The page has one row per variant (its headline figures and each partner's delivered share, the
variant's name linking to its own report), the Pareto plot of the two chosen figures, the failed
variants with their reasons, and for each partner what-if the changes for every partner and for
the station against the baseline. plotly.js is inlined once, so the page opens offline.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from moonbase import __version__
from moonbase.io import atomic_path, write_text_atomic
from moonbase.study.figures import FIGURES, PARTNER_FIGURES, figure_value, pareto_front
from moonbase.study.whatif import STATION_FIGURES, partner_changes, station_changes

__all__ = ["pareto_figure", "study_data", "study_table", "write_study"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #1d2330; }
h1 { border-bottom: 2px solid #3b4a6b; padding-bottom: .3rem; }
h2 { margin-top: 2.2rem; color: #3b4a6b; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .88rem; }
th, td { border: 1px solid #c9cfdb; padding: .25rem .5rem; text-align: right; }
th { background: #eef1f6; }
td:first-child, th:first-child { text-align: left; }
tr.failed td { color: #8a1c1c; }
tr.front td:first-child { font-weight: bold; }
.note { color: #5a6478; font-size: .9rem; }
.better { color: #1b6e2e; } .worse { color: #8a1c1c; }
"""

#: The comparison's columns (figure name -> header), before the partners' delivered shares.
_COLUMNS = {
    "basic_model_operating": "basic model operating",
    "p_basic_model_by_target": "P(basic model by target)",
    "landed_mass_kg": "mass landed (kg)",
    "node_mass_kg": "mass at the node (kg)",
    "min_survival_margin_h": "survival margin (h)",
    "closure": "closure",
    "science_value": "science value",
    "science_runs": "science runs",
    "cost_musd": "cost (M$)",
    "site": "site cell",
}


def study_data(result) -> dict:
    """The study as plain data (``study.json``): its inputs, each variant and each what-if."""
    study = result.study
    front = _front(result)
    variants = []
    for outcome in result.outcomes:
        variants.append(
            {
                "name": outcome.name,
                "kind": outcome.kind,
                "ok": outcome.ok,
                "failure": outcome.failure,
                "stage": outcome.stage,
                "description": outcome.description,
                "notes": list(outcome.notes),
                "report": outcome.report,
                "pareto": front.get(outcome.name, False),
                "figures": outcome.figures,
                "partners": outcome.partners,
                "runtime_s": round(outcome.runtime_s, 3),
            }
        )
    return {
        "study": study.name,
        "description": study.description,
        "file": study.file,
        "base": study.base,
        "as_of": study.as_of.isoformat(),
        "seed": study.seed,
        "options": study.options.model_dump(mode="json"),
        "pareto": study.pareto.model_dump(mode="json"),
        "workers": result.workers,
        "scheduler": result.scheduler,
        "cache": result.cache,
        "site_stages": result.site_stages,
        "site_computed": result.site_computed,
        "wall_s": round(result.wall_s, 3),
        "variants": variants,
        "what_if": _what_ifs(result),
    }


def _what_ifs(result) -> list[dict]:
    out = []
    for name, baseline in result.study.what_if:
        variant, base = result.outcome(name), result.outcome(baseline)
        item = {"variant": name, "baseline": baseline, "notes": list(variant.notes)}
        if variant.ok and base.ok:
            item["station"] = station_changes(base, variant)
            item["partners"] = partner_changes(base, variant)
        else:
            item["failure"] = variant.failure if not variant.ok else base.failure
        out.append(item)
    return out


def _front(result) -> dict[str, bool]:
    x, y = result.study.pareto.x, result.study.pareto.y
    done = [o for o in result.outcomes if o.ok]
    points = [(figure_value(x, o.figures.get(x)), figure_value(y, o.figures.get(y))) for o in done]
    flags = pareto_front(points, (FIGURES[x].better, FIGURES[y].better))
    return {o.name: flag for o, flag in zip(done, flags, strict=True)}


def study_table(result) -> pd.DataFrame:
    """One row per variant (``study.csv``): status, figures, each partner's shares, report."""
    partners = _partners(result)
    front = _front(result)
    rows = []
    for outcome in result.outcomes:
        row = {
            "variant": outcome.name,
            "kind": outcome.kind,
            "status": "ok" if outcome.ok else "failed",
            "reason": outcome.failure or "",
            "pareto": front.get(outcome.name, False),
        }
        figures = outcome.figures
        for name in (
            "basic_model_operating",
            "p_basic_model_by_target",
            "first_launch",
            "campaign_status",
            "stations",
            "landed_mass_kg",
            "node_mass_kg",
            "min_survival_margin_h",
            "critical_energy_not_served_kwh",
            "closed",
            "closure_fixes",
            "science_value",
            "science_runs",
            "cost_musd",
            "site_name",
            "latitude_deg",
            "longitude_deg",
            "lit_percent",
        ):
            value = figures.get(name)
            row[name] = "+".join(value) if isinstance(value, list) else value
        row["unmet"] = "; ".join(figures.get("unmet", []))
        for pid in partners:
            shares = outcome.partners.get(pid, {})
            row[f"delivered_percent.{pid}"] = shares.get("delivered_percent")
            row[f"entitlement_percent.{pid}"] = shares.get("entitlement_percent")
        row["report"] = outcome.report or ""
        row["runtime_s"] = round(outcome.runtime_s, 3)
        rows.append(row)
    return pd.DataFrame(rows)


def _partners(result) -> list[str]:
    seen: list[str] = []
    for outcome in result.outcomes:
        seen += [p for p in outcome.partners if p not in seen]
    return seen


def _sharing(result) -> list[str]:
    """The partners with an entitlement or a delivered share in some variant (the page's columns)."""
    return [
        pid
        for pid in _partners(result)
        if any(
            (o.partners.get(pid, {}).get(key) or 0) > 0
            for o in result.outcomes
            for key in ("entitlement_percent", "delivered_percent")
        )
    ]


def pareto_figure(result) -> go.Figure:
    """The two chosen figures of the variants that ran, the Pareto front joined by a line."""
    study = result.study
    x, y = study.pareto.x, study.pareto.y
    fx, fy = FIGURES[x], FIGURES[y]
    front = _front(result)
    done = [o for o in result.outcomes if o.ok and None not in (o.figures.get(x), o.figures.get(y))]
    figure = go.Figure()
    for on_front in (False, True):
        chosen = [o for o in done if front.get(o.name, False) == on_front]
        if on_front:
            chosen.sort(key=lambda o: figure_value(x, o.figures[x]))
        figure.add_trace(
            go.Scatter(
                x=[o.figures[x] for o in chosen],
                y=[o.figures[y] for o in chosen],
                text=[o.name for o in chosen],
                mode="markers+text+lines" if on_front else "markers+text",
                textposition="top center",
                marker={"size": 12, "color": "#1b6e2e" if on_front else "#8791a8"},
                line={"dash": "dot", "color": "#1b6e2e"},
                name="Pareto front" if on_front else "dominated",
            )
        )
    figure.update_layout(
        title=f"{fx.label} against {fy.label} ({_better(fx)}; {_better(fy)})",
        xaxis_title=_axis(fx),
        yaxis_title=_axis(fy),
        height=480,
        margin={"t": 60, "l": 60, "r": 20, "b": 50},
    )
    for unit, values, update in (
        (fx.unit, [o.figures[x] for o in done], figure.update_xaxes),
        (fy.unit, [o.figures[y] for o in done], figure.update_yaxes),
    ):
        if unit == "date" and values:
            update(type="date", tickformat="%Y-%m", range=_date_range(values))
    return figure


def _date_range(values: list[str]) -> list[str]:
    """An axis range around ISO dates, at least a year wide (one date alone is not a scale).

    >>> _date_range(["2035-02-01"])
    ['2034-08-02', '2035-08-03']
    """
    from datetime import date, timedelta

    days = [date.fromisoformat(v) for v in values]
    low, high = min(days), max(days)
    pad = max(timedelta(days=183) - (high - low) / 2, (high - low) / 10)
    return [(low - pad).isoformat(), (high + pad).isoformat()]


def _better(figure) -> str:
    return f"{figure.label.lower()}: {'lower' if figure.better == 'low' else 'higher'} is better"


def _axis(figure) -> str:
    return figure.label if figure.unit in ("", "date") else f"{figure.label} ({figure.unit})"


def write_study(result) -> dict[str, Path]:
    """Write ``study.html``, ``study.csv`` and ``study.json`` under the study's ``out``."""
    out = Path(result.out)
    data = study_data(result)
    paths = {
        "json": write_text_atomic(out / "study.json", json.dumps(data, indent=2) + "\n"),
    }
    with atomic_path(out / "study.csv") as temporary:
        study_table(result).to_csv(temporary, index=False, float_format="%.6g")
    paths["csv"] = out / "study.csv"
    paths["html"] = write_text_atomic(out / "study.html", render_page(result, data))
    return paths


# -- the page ------------------------------------------------------------------------------------


def render_page(result, data: dict) -> str:
    """The HTML text of ``study.html``."""
    study = result.study
    partners = _sharing(result)
    others = [p for p in _partners(result) if p not in partners]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    where = (
        f"scheduler {result.scheduler}"
        if result.scheduler
        else (f"{result.workers} local Dask workers" if result.workers else "in one process")
    )
    cache = (
        f"site stages: {result.site_stages}, computed {result.site_computed}, "
        f"from the cache {result.site_stages - result.site_computed} ({result.cache})"
        if result.cache
        else f"site stages: {result.site_stages} (no cache)"
    )
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>Study: {_e(study.name)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Study: {_e(study.name)}</h1>",
        f"<p>{_e(study.description)}</p>" if study.description else "",
        f"<p class='note'>Base {_e(study.base)}, plans as of {study.as_of}, seed {study.seed} "
        f"(every variant sees the same random draws); {where}; {_e(cache)}; "
        f"{result.wall_s:.0f} s. Generated by moonbase {__version__} at {stamp} from "
        f"{_e(study.file)}.</p>",
        "<h2>Variants</h2>",
        "<p class='note'>One row per variant; its name opens its own report. Bold: on the Pareto "
        "front of the plot below. Delivered shares are each partner's share of the science "
        "delivered, in %"
        + (
            f" (partners with no entitlement and no science in any variant left out: "
            f"{_e(', '.join(others))})"
            if others
            else ""
        )
        + ".</p>",
        _variants_table(result, partners, data),
        "<h2>Pareto plot</h2>",
        pio.to_html(
            pareto_figure(result),
            full_html=False,
            include_plotlyjs=True,
            div_id="pareto",
            validate=False,
        ),
    ]
    failed = result.failed
    parts.append("<h2>Failed variants</h2>")
    if failed:
        parts.append("<ul id='failed'>")
        parts += [
            f"<li><b>{_e(o.name)}</b> ({_e(o.stage or '')}): {_e(o.failure or '')}</li>"
            for o in failed
        ]
        parts.append("</ul>")
    else:
        parts.append("<p id='failed'>None: every variant was planned.</p>")
    parts += _what_if_sections(data["what_if"])
    parts.append("<h2>Changes of each variant</h2><ul id='changes'>")
    for outcome in result.outcomes:
        if outcome.ok:
            text = "; ".join(outcome.notes) or "none (the base as it is)"
        else:
            text = "failed (see above)"
        described = f" {_e(outcome.description.rstrip('.'))}." if outcome.description else ""
        parts.append(f"<li><b>{_e(outcome.name)}</b>:{described} {_e(text)}</li>")
    parts.append("</ul></body></html>")
    return "\n".join(p for p in parts if p)


def _variants_table(result, partners, data) -> str:
    present = {
        name: any(o.figures.get(name) is not None for o in result.outcomes)
        for name in ("cost_musd", "node_mass_kg")
    }
    columns = [c for c in _COLUMNS if present.get(c, True)]
    head = ["variant", "status"] + [_COLUMNS[c] for c in columns] + partners
    rows = ["<table id='variants'><thead><tr>"]
    rows += [f"<th>{_e(h)}</th>" for h in head]
    rows.append("</tr></thead><tbody>")
    pareto = {v["name"]: v["pareto"] for v in data["variants"]}
    for outcome in result.outcomes:
        css = "failed" if not outcome.ok else ("front" if pareto.get(outcome.name) else "")
        name = _e(outcome.name)
        link = f"<a href='{_e(outcome.report)}'>{name}</a>" if outcome.report else name
        cells = [link, "ok" if outcome.ok else "failed"]
        figures = outcome.figures
        for column in columns:
            cells.append(_e(_cell(column, figures)) if outcome.ok else "")
        for pid in partners:
            share = outcome.partners.get(pid, {}).get("delivered_percent")
            cells.append("" if share is None else f"{share:.1f}")
        rows.append(
            f"<tr class='{css}' data-variant='{name}'>"
            + "".join(f"<td>{c}</td>" for c in cells)
            + "</tr>"
        )
    rows.append("</tbody></table>")
    return "".join(rows)


def _cell(column: str, figures: dict) -> str:
    if column == "closure":
        if figures.get("closed"):
            fixes = figures.get("closure_fixes", 0)
            return f"closed ({fixes} fix{'es' if fixes > 1 else ''})" if fixes else "closed"
        unmet = figures.get("unmet") or []
        return "unmet: " + ", ".join(unmet) if unmet else "not closed"
    if column == "site":
        lat, lon = figures.get("latitude_deg"), figures.get("longitude_deg")
        if lat is None or lon is None:
            return "none (orbit)"
        lit = figures.get("lit_percent")
        return f"{lat:.3f}, {lon:.2f} E" + ("" if lit is None else f", lit {lit:.1f} %")
    return _format(figures.get(column))


def _format(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"
    return str(value)


def _what_if_sections(what_ifs: list[dict]) -> list[str]:
    if not what_ifs:
        return []
    parts = [
        "<h2>Partner what-if</h2>",
        "<p class='note'>Each what-if against its baseline: before → after (change, green where better, red where worse; dates "
        "shift in days). Entitlements follow the contributions' value_musd where any partner "
        "gives one, else the landed mass of each partner's surface elements.</p>",
    ]
    for item in what_ifs:
        name = _e(item["variant"])
        parts.append(f"<h3 id='what-if-{name}'>{name} against {_e(item['baseline'])}</h3>")
        if item.get("notes"):
            parts.append(f"<p class='note'>{_e('; '.join(item['notes']))}</p>")
        if "failure" in item:
            parts.append(f"<p>Not compared: {_e(item['failure'] or '')}</p>")
            continue
        parts.append(f"<table class='what-if-station' data-variant='{name}'>")
        parts.append("<tr><th>station</th><th>before</th><th>after</th><th>change</th></tr>")
        for key, label in STATION_FIGURES.items():
            row = item["station"][key]
            parts.append(
                f"<tr><td>{_e(label)}</td><td>{_e(_format(row['before']))}</td>"
                f"<td>{_e(_format(row['after']))}</td><td>{_change(row['change'], key)}</td></tr>"
            )
        parts.append("</table>")
        parts.append(f"<table class='what-if-partners' data-variant='{name}'><tr><th>partner</th>")
        parts += [f"<th>{_e(label)}</th>" for label in PARTNER_FIGURES.values()]
        parts.append("</tr>")
        for pid, figures in item["partners"].items():
            cells = [
                f"{_e(_format(f['before']))} → {_e(_format(f['after']))}"
                + (f" ({_change(f['change'], key)})" if f["change"] not in (None, 0) else "")
                for key, f in figures.items()
            ]
            parts.append(
                f"<tr data-partner='{_e(pid)}'><td>{_e(pid)}</td>"
                + "".join(f"<td>{c}</td>" for c in cells)
                + "</tr>"
            )
        parts.append("</table>")
    return parts


#: Which way each compared figure is better (green) or worse (red); absent: neither.
_BETTER = {
    "basic_model_operating": "low",
    "p_basic_model_by_target": "high",
    "min_survival_margin_h": "high",
    "critical_energy_not_served_kwh": "low",
    "closure_fixes": "low",
    "science_value": "high",
    "science_runs": "high",
    "cost_musd": "low",
    "entitlement_percent": "high",
    "delivered_percent": "high",
    "runs": "high",
    "last_operating": "low",
    "first_run": "low",
    "p_lose_element": "low",
    "mean_extra_cost_musd": "low",
}


def _change(value, name: str = "") -> str:
    """The change as text, green where it is better, red where worse (:data:`_BETTER`)."""
    if value is None:
        return ""
    better = _BETTER.get(name)
    sign = 0 if value == 0 or better is None else (1 if (value > 0) == (better == "high") else -1)
    css = "better" if sign > 0 else "worse" if sign < 0 else ""
    text = f"{value:+,.3g}" if isinstance(value, float) else f"{value:+d}"
    return f"<span class='{css}'>{_e(text)}</span>"


def _e(text) -> str:
    return html.escape(str(text), quote=True)
