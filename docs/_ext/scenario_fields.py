"""The scenario file's fields, one table per part, generated from the pydantic models.

The ``scenario-fields`` directive walks :class:`moonbase.scenario.Scenario` and every model
nested in it and writes, for each field: its TOML key, its type (the allowed words of a choice),
its unit (read from the name's suffix, the project's convention), whether it is required or its
default, and its bounds. Each table ends with the part's provenance rule, read from its
``provenance``/``source`` fields. Nothing here is typed by hand, so the page follows the models.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass

from docutils import nodes
from docutils.statemachine import StringList
from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from sphinx.util.docutils import SphinxDirective

#: Unit of a name, by suffix (longest first), as ``docs/nomenclature.md`` states the convention.
UNITS = (
    ("_per_year", "per year"),
    ("_fraction", "fraction 0-1"),
    ("_percent", "percent"),
    ("_musd", "million US$"),
    ("_mbps", "Mbit/s"),
    ("_gbit", "Gbit (10^9 bit)"),
    ("_days", "days"),
    ("_deg", "degrees"),
    ("_kg", "kg"),
    ("_km", "km"),
    ("_wh", "Wh"),
    ("_w", "W"),
    ("_h", "hours"),
    ("_m", "metres"),
)

#: Where each part sits in the TOML file.
TABLES = {
    "Scenario": "top level",
    "Site": "[site]",
    "OrbitNode": "[orbit]",
    "Location": "[[locations]]",
    "CampaignWindow": "[campaign]",
    "Policies": "[policies]",
    "PartnerGoal": "[policies.partner_goal]",
    "SignedPartners": "[policies.signed_partners]",
    "Partner": "[[partners]]",
    "Contribution": "[[partners.contributions]]",
    "Launcher": "[[launchers]]",
    "BetaPrior": "[launchers.reliability]",
    "FlightRecord": "[launchers.reliability.record]",
    "Element": "[[elements]]",
    "RelayOrbit": "[elements.relay_orbit]",
    "Experiment": "[[experiments]]",
}


def unit_of(name: str) -> str:
    """The unit a field's name declares, or an empty string."""
    for suffix, unit in UNITS:
        if name.endswith(suffix):
            return unit
    return ""


def _models_in(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def models(root: type[BaseModel] | None = None) -> list[type[BaseModel]]:
    """``root`` (default: the Scenario) and every model nested in it, parents first."""
    if root is None:
        from moonbase.scenario import Scenario

        root = Scenario
    seen: list[type[BaseModel]] = []
    queue = [root]
    while queue:
        model = queue.pop(0)
        if model in seen:
            continue
        seen.append(model)
        for field in model.model_fields.values():
            queue.extend(_models_in(field.annotation))
    return seen


def type_text(annotation) -> str:
    """A short, readable type: ``float``, ``date``, ``list of id``, ``one of a, b``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(f"``{a}``" for a in args)
    if origin is typing.Annotated:
        inner = type_text(args[0])
        if any(getattr(m, "pattern", None) for m in args[1:]):
            return "id"
        return inner
    if origin in (typing.Union, types.UnionType):
        kept = [a for a in args if a is not type(None)]
        text = " or ".join(type_text(a) for a in kept)
        return text
    if origin in (list, tuple):
        return "list of " + (type_text(args[0]) if args else "values")
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return f"table ({TABLES.get(annotation.__name__, annotation.__name__)})"
        return {"str": "text", "bool": "true/false"}.get(annotation.__name__, annotation.__name__)
    return str(annotation)


def bounds_text(field) -> str:
    """Bounds from the field's metadata and its annotation's: ``> 0``, ``0 .. 1``, ``>= 1 item``."""
    parts = []
    metadata = list(field.metadata)
    annotation = field.annotation
    for arg in typing.get_args(annotation) or ():
        if typing.get_origin(arg) is typing.Annotated:
            metadata += list(typing.get_args(arg)[1:])
    expanded = []
    for m in metadata:  # a Field(...) inside Annotated carries its constraints in .metadata
        expanded += [m, *getattr(m, "metadata", [])]
    for m in expanded:
        for attr, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            value = getattr(m, attr, None)
            if value is not None:
                parts.append(f"{sign} {value:g}")
        if getattr(m, "min_length", None):
            parts.append(f"at least {m.min_length}")
    return ", ".join(dict.fromkeys(parts))


def default_text(field) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()
        return "empty" if value in ([], {}, ()) else f"``{value}``"
    if field.default is None or field.default is PydanticUndefined:
        return "not set"
    if field.default == "":
        return "empty text"
    return f"``{field.default}``"


def provenance_rule(model: type[BaseModel]) -> str:
    """What the part says about where its facts come from."""
    fields = model.model_fields
    rules = []
    if "provenance" in fields:
        field = fields["provenance"]
        how = "required" if field.is_required() else f"default ``{field.default}``"
        rules.append(
            f"``provenance`` ({how}): ``announced`` (stated by the agency), ``reported`` "
            "(reputable news) or ``notional`` (a modelling assumption)"
        )
    if "source" in fields:
        need = "required" if fields["source"].is_required() else "optional"
        rules.append(f"``source`` ({need}) says where the figures come from")
    if "mass_provenance" in fields:
        rules.append(
            "a mass has its own ``mass_provenance``; a notional mass says how it was derived "
            "in ``mass_basis``"
        )
    if "basis" in fields:
        rules.append("``basis`` says what the prior was made from (or give ``record``)")
    return "; ".join(rules)


@dataclass
class Row:
    key: str
    type: str
    unit: str
    default: str
    bounds: str


def rows(model: type[BaseModel]) -> list[Row]:
    return [
        Row(
            key=name,
            type="id"
            if any(getattr(m, "pattern", None) for m in field.metadata)
            else type_text(field.annotation),
            unit=unit_of(name),
            default=default_text(field),
            bounds=bounds_text(field),
        )
        for name, field in model.model_fields.items()
    ]


def rst_lines() -> list[str]:
    """The reST of every table, in the order of :func:`models`."""
    lines: list[str] = []
    for model in models():
        where = TABLES.get(model.__name__, model.__name__)
        doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        lines += [f".. rubric:: ``{where}``: {model.__name__}", "", doc, ""]
        lines += [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 24 30 12 16 18",
            "",
            "   * - key",
            "     - type",
            "     - unit",
            "     - default",
            "     - bounds",
        ]
        for row in rows(model):
            lines += [
                f"   * - ``{row.key}``",
                f"     - {row.type}",
                f"     - {row.unit}",
                f"     - {row.default}",
                f"     - {row.bounds}",
            ]
        lines.append("")
        rule = provenance_rule(model)
        if rule:
            lines += [f"*Provenance:* {rule}.", ""]
    return lines


class ScenarioFields(SphinxDirective):
    """``.. scenario-fields::``: the tables above, parsed in place."""

    has_content = False

    def run(self):
        container = nodes.section()
        container.document = self.state.document
        self.state.nested_parse(StringList(rst_lines(), source="scenario-fields"), 0, container)
        return container.children


def setup(app):
    app.add_directive("scenario-fields", ScenarioFields)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
