"""A variant's changes applied to a scenario: declarative, checked, with what they did in words.

:func:`apply_variant` takes the base :class:`~moonbase.scenario.Scenario` and a
:class:`~moonbase.study.models.Variant` and returns the changed scenario, validated like a
scenario file (:func:`moonbase.scenario.check_scenario`), and the notes of what changed (what was
dropped, which links went with it). Every problem is a :class:`ChangeProblem`: the field of the
study file at fault (or of the changed scenario), the message and the fix.

Removing elements (``drop_elements``, a dropped partner's, a withdrawn partner's, the site's with
``station = "orbit"``) takes their references with them: other elements' ``requires`` on them
(the element then waits on nothing it cannot have), experiments hosted by them, their places in
``policies.basic_model`` and in partners' contributions (a contribution left without elements is
dropped, its ``value_musd`` with it).

>>> from moonbase.scenario import builtin_scenario
>>> from moonbase.study.models import Variant
>>> changed, notes = apply_variant(builtin_scenario(), Variant(name="no-npu", drop_elements=["NPU"]))
>>> "NPU" in {e.id for e in changed.elements}
False
>>> notes[0]
'dropped elements: NPU'
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel, ValidationError

from moonbase.scenario import check_scenario
from moonbase.scenario.models import (
    CampaignWindow,
    Element,
    Experiment,
    Launcher,
    OrbitNode,
    Partner,
    Policies,
    Scenario,
    Site,
)
from moonbase.scenario.problems import format_path

__all__ = ["ChangeError", "ChangeProblem", "apply_variant", "join_partner", "withdraw_partner"]

_TABLES: dict[str, type[BaseModel]] = {
    "site": Site,
    "orbit": OrbitNode,
    "campaign": CampaignWindow,
    "policies": Policies,
}
_SECTIONS: dict[str, type[BaseModel]] = {
    "partners": Partner,
    "launchers": Launcher,
    "elements": Element,
    "experiments": Experiment,
}
_SINGULAR = {
    "partners": "partner",
    "launchers": "launcher",
    "elements": "element",
    "experiments": "experiment",
}


@dataclass(frozen=True)
class ChangeProblem:
    """What is wrong with a variant: ``path`` in the study file (``("site", "latitud_deg")``,
    relative to the variant) or, with ``scenario=True``, in the changed scenario."""

    path: tuple[str | int, ...]
    message: str
    hint: str | None = None
    scenario: bool = False

    def field(self, prefix: tuple = ()) -> str:
        if self.scenario:
            return "scenario " + format_path(self.path)
        return format_path(prefix + self.path)


class ChangeError(Exception):
    """A variant's changes cannot be applied or leave a scenario that does not validate."""

    def __init__(self, problems: list[ChangeProblem]):
        self.problems = list(problems)
        super().__init__(self.problems[0].message if self.problems else "no details")


def apply_variant(base: Scenario, variant) -> tuple[Scenario, tuple[str, ...]]:
    """``base`` with ``variant``'s changes (:class:`~moonbase.study.models.Variant`), and notes.

    Raises :class:`ChangeError` listing every problem of the changes, or the changed scenario's
    validation problems.
    """
    problems = check_keys(variant)
    if problems:
        raise ChangeError(problems)
    data = base.model_dump(mode="python")
    notes: list[str] = []
    problems = []
    if variant.station is not None:
        _station(data, variant.station, notes)
    for table in _TABLES:
        update = getattr(variant, table)
        if update is None:
            continue
        if data.get(table) is None:
            data[table] = dict(update)
            notes.append(f"set [{table}]")
        else:
            data[table] = {**data[table], **update}
            notes.append(
                f"changed [{table}]: " + ", ".join(f"{k} = {v}" for k, v in update.items())
            )
    if variant.station in ("orbit", "both") and data.get("orbit") is None:
        problems.append(
            ChangeProblem(
                ("station",),
                f"station = {variant.station!r} needs an orbit node, and the base has no [orbit]",
                "give the variant an orbit table (family and its parameters)",
            )
        )
    if variant.station in ("surface", "both") and data.get("site") is None:
        problems.append(
            ChangeProblem(
                ("station",),
                f"station = {variant.station!r} needs a surface site, and the base has no [site]",
                "give the variant a site table (name, latitude_deg, longitude_deg)",
            )
        )
    for partner in variant.drop_partners:
        problems += _known(data, "partners", partner, ("drop_partners",))
    for launcher in variant.drop_launchers:
        problems += _known(data, "launchers", launcher, ("drop_launchers",))
    for element in variant.drop_elements:
        problems += _known(data, "elements", element, ("drop_elements",))
    for experiment in variant.drop_experiments:
        problems += _known(data, "experiments", experiment, ("drop_experiments",))
    if problems:
        raise ChangeError(problems)
    if variant.drop_partners:
        problems += drop_partners(data, set(variant.drop_partners), notes)
    if variant.drop_launchers:
        problems += _remove_launchers(data, set(variant.drop_launchers), notes, "drop_launchers")
    if variant.drop_elements:
        _remove_elements(data, set(variant.drop_elements), notes)
    if variant.drop_experiments:
        dropped = set(variant.drop_experiments)
        data["experiments"] = [x for x in data["experiments"] if x["id"] not in dropped]
        notes.append("dropped experiments: " + ", ".join(sorted(dropped)))
    for section in _SECTIONS:
        for item_id, update in getattr(variant, section).items():
            found = _find(data[section], item_id)
            if found is None:
                problems += _known(data, section, item_id, (section, item_id))
                continue
            found.update(update)
            notes.append(
                f"changed {_SINGULAR[section]} {item_id}: "
                + ", ".join(f"{k} = {v}" for k, v in update.items())
            )
        added = getattr(variant, f"add_{section}")
        if added:
            data[section] = data[section] + [dict(item) for item in added]
            ids = ", ".join(str(item.get("id", "?")) for item in added)
            notes.append(f"added {section}: {ids}")
    if problems:
        raise ChangeError(problems)
    if variant.withdraw is not None:
        problems += withdraw_partner(data, variant.withdraw, notes)
    if variant.join is not None:
        problems += join_partner(data, variant.join, notes)
    if problems:
        raise ChangeError(problems)
    return validated(data), tuple(notes)


def validated(data: dict) -> Scenario:
    """The scenario of ``data``, or :class:`ChangeError` with its validation problems."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise ChangeError(
            [
                ChangeProblem(tuple(item["loc"]), _pydantic_message(item), scenario=True)
                for item in error.errors()
            ]
        ) from None
    problems = check_scenario(scenario)
    if problems:
        raise ChangeError(
            [ChangeProblem(p.path, p.message, p.hint, scenario=True) for p in problems]
        )
    return scenario


def _pydantic_message(item: dict) -> str:
    message = item["msg"]
    if item["type"] == "missing":
        return "missing required key"
    if item["type"] == "extra_forbidden":
        return "unknown key"
    value = item.get("input")
    if message.startswith("Input should be "):
        message = "expected " + message[len("Input should be ") :]
    return f"{message}, got {value!r}"


# -- keys ----------------------------------------------------------------------------------------


def check_keys(variant) -> list[ChangeProblem]:
    """Unknown keys in the variant's tables of changes (pydantic checks the variant's own)."""
    problems = []
    for table, model in _TABLES.items():
        problems += _unknown_keys(getattr(variant, table), model, (table,), f"[{table}]")
    for section, model in _SECTIONS.items():
        for item_id, update in getattr(variant, section).items():
            path = (section, item_id)
            problems += _unknown_keys(update, model, path, f"a {_SINGULAR[section]}")
            if "id" in update:
                problems.append(
                    ChangeProblem(
                        path + ("id",),
                        "an item's id cannot change",
                        f"drop it with drop_{section} and add the new one with add_{section}",
                    )
                )
        for index, item in enumerate(getattr(variant, f"add_{section}")):
            problems += _unknown_keys(
                item, model, (f"add_{section}", index), f"a {_SINGULAR[section]}"
            )
    if variant.join is not None:
        join = variant.join
        problems += _unknown_keys(join.partner, Partner, ("join", "partner"), "a partner")
        for section in ("elements", "launchers", "experiments"):
            for index, item in enumerate(getattr(join, section)):
                problems += _unknown_keys(
                    item, _SECTIONS[section], ("join", section, index), f"a {_SINGULAR[section]}"
                )
    return problems


def _unknown_keys(table, model: type[BaseModel], path: tuple, what: str) -> list[ChangeProblem]:
    if not table:
        return []
    fields = list(model.model_fields)
    problems = []
    for key in table:
        if key in fields:
            continue
        close = difflib.get_close_matches(str(key), fields, n=1, cutoff=0.6)
        guess = f"did you mean {close[0]!r}? " if close else ""
        problems.append(
            ChangeProblem(
                path + (key,),
                f"unknown key {key!r} for {what}",
                f"{guess}valid keys: {', '.join(fields)}",
            )
        )
    return problems


def _known(data: dict, section: str, item_id: str, path: tuple) -> list[ChangeProblem]:
    ids = [item["id"] for item in data[section]]
    if item_id in ids:
        return []
    close = difflib.get_close_matches(item_id, ids, n=1, cutoff=0.6)
    guess = f"did you mean {close[0]!r}? " if close else ""
    return [
        ChangeProblem(
            path,
            f"no {_SINGULAR[section]} {item_id!r} in the base scenario",
            f"{guess}valid: {', '.join(ids) or 'none'}",
        )
    ]


def _find(items: list[dict], item_id: str) -> dict | None:
    return next((item for item in items if item["id"] == item_id), None)


# -- removals with their references --------------------------------------------------------------


def _station(data: dict, station: str, notes: list[str]) -> None:
    if station == "surface":
        node = {e["id"] for e in data["elements"] if e["location"] == "node"}
        if data.get("orbit") is not None:
            data["orbit"] = None
            notes.append("surface station: dropped [orbit]")
        if node:
            _remove_elements(data, node, notes)
    elif station == "orbit":
        at_site = {e["id"] for e in data["elements"] if e["location"] == "site"}
        if data.get("site") is not None:
            data["site"] = None
            notes.append("orbit station: dropped [site]")
        if at_site:
            _remove_elements(data, at_site, notes)


def _remove_elements(data: dict, ids: set[str], notes: list[str]) -> None:
    """Remove elements ``ids`` and every reference to them (see the module's docstring)."""
    if not ids:
        return
    data["elements"] = [e for e in data["elements"] if e["id"] not in ids]
    notes.append("dropped elements: " + ", ".join(sorted(ids)))
    for element in data["elements"]:
        gone = [r for r in element["requires"] if r in ids]
        if gone:
            element["requires"] = [r for r in element["requires"] if r not in ids]
            notes.append(f"{element['id']} no longer requires {', '.join(gone)}")
    hosted = [x["id"] for x in data["experiments"] if set(x["requires"]) & ids]
    if hosted:
        data["experiments"] = [x for x in data["experiments"] if x["id"] not in hosted]
        notes.append("dropped experiments hosted by them: " + ", ".join(hosted))
    policies = data.get("policies") or {}
    basic = policies.get("basic_model") or []
    if set(basic) & ids:
        policies["basic_model"] = [b for b in basic if b not in ids]
        notes.append("basic model without " + ", ".join(b for b in basic if b in ids))
    for partner in data["partners"]:
        kept = []
        for contribution in partner["contributions"]:
            listed = contribution["elements"]
            left = [e for e in listed if e not in ids]
            if listed and not left:
                notes.append(
                    f"{partner['id']}'s contribution {contribution['description']!r} dropped "
                    "(no elements left)"
                )
                continue
            kept.append({**contribution, "elements": left})
        partner["contributions"] = kept


def _remove_launchers(data: dict, ids: set[str], notes: list[str], field: str):
    data["launchers"] = [x for x in data["launchers"] if x["id"] not in ids]
    notes.append("dropped launchers: " + ", ".join(sorted(ids)))
    problems = []
    for element in data["elements"]:
        allowed = element["allowed_launchers"]
        if not allowed or not set(allowed) & ids:
            continue
        left = [x for x in allowed if x not in ids]
        if not left and element["state"] == "planned":
            problems.append(
                ChangeProblem(
                    (field,),
                    f"element {element['id']!r} could fly only on {', '.join(allowed)}, and "
                    "none is left",
                    f"allow it another launcher (elements.{element['id']}.allowed_launchers) "
                    "or drop it",
                )
            )
        element["allowed_launchers"] = left or allowed
    return problems


def drop_partners(data: dict, ids: set[str], notes: list[str]) -> list[ChangeProblem]:
    """Remove partners ``ids`` with their elements (flown ones too), launchers and experiments."""
    elements = {e["id"] for e in data["elements"] if e["partner"] in ids}
    launchers = {x["id"] for x in data["launchers"] if x["partner"] in ids}
    experiments = [x["id"] for x in data["experiments"] if x["partner"] in ids]
    data["partners"] = [p for p in data["partners"] if p["id"] not in ids]
    notes.append("dropped partners: " + ", ".join(sorted(ids)))
    if experiments:
        data["experiments"] = [x for x in data["experiments"] if x["partner"] not in ids]
        notes.append("dropped their experiments: " + ", ".join(experiments))
    _remove_elements(data, elements, notes)
    return _remove_launchers(data, launchers, notes, "drop_partners") if launchers else []


def withdraw_partner(data: dict, withdrawal, notes: list[str]) -> list[ChangeProblem]:
    """Partner ``withdrawal.partner`` leaves from ``withdrawal.from_date`` (see
    :class:`~moonbase.study.models.Withdrawal`); ``from_date`` must be set by then."""
    pid, day = withdrawal.partner, withdrawal.from_date
    if _find(data["partners"], pid) is None:
        return _known(data, "partners", pid, ("withdraw", "partner"))
    notes.append(f"{pid} withdraws from {day}")
    gone = set()
    for element in data["elements"]:
        if element["partner"] != pid:
            continue
        flown = element["state"] in ("flown", "failed") and element["launched_on"] is not None
        if flown and element["launched_on"] < day:
            continue
        committed = element["state"] == "planned" and element["latest_launch"] is not None
        if committed and element["latest_launch"] < day:
            continue
        gone.add(element["id"])
    experiments = [x["id"] for x in data["experiments"] if x["partner"] == pid]
    if experiments:
        data["experiments"] = [x for x in data["experiments"] if x["partner"] != pid]
        notes.append(f"{pid}'s experiments leave the programme: " + ", ".join(experiments))
    _remove_elements(data, gone, notes)
    partner = _find(data["partners"], pid)
    money = [c for c in partner["contributions"] if not c["elements"]]
    if money:
        partner["contributions"] = [c for c in partner["contributions"] if c["elements"]]
        notes.append(
            f"{pid}'s contributions without elements end: "
            + ", ".join(repr(c["description"]) for c in money)
        )
    problems: list[ChangeProblem] = []
    removed = set()
    last = day - timedelta(days=1)
    for launcher in data["launchers"]:
        if launcher["partner"] != pid:
            continue
        if launcher["first_available"] >= day:
            removed.add(launcher["id"])
        elif launcher["last_available"] is None or launcher["last_available"] > last:
            launcher["last_available"] = last
            notes.append(f"launcher {launcher['id']} last available {last}")
    if removed:
        problems += _remove_launchers(data, removed, notes, "withdraw")
    return problems


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def join_partner(data: dict, joining, notes: list[str]) -> list[ChangeProblem]:
    """Partner ``joining.partner`` joins with its contributions, elements, launchers and
    experiments (:class:`~moonbase.study.models.Joining`)."""
    pid = joining.partner.get("id")
    if isinstance(pid, str) and _find(data["partners"], pid) is not None:
        return [
            ChangeProblem(
                ("join", "partner", "id"),
                f"partner {pid!r} is already in the base scenario",
                "give the joining partner a new id, or change the existing one with partners",
            )
        ]
    data["partners"] = data["partners"] + [dict(joining.partner)]
    for section in ("elements", "launchers", "experiments"):
        data[section] = data[section] + [dict(item) for item in getattr(joining, section)]
    values = [c.get("value_musd") for c in joining.partner.get("contributions", [])]
    worth = sum(v for v in values if isinstance(v, int | float))
    sections = ("elements", "launchers", "experiments")
    what = [_count(len(getattr(joining, s)), _SINGULAR[s]) for s in sections]
    what += [f"{worth:g} M$ of contributions"] if worth else []
    notes.append(f"{pid} joins with " + ", ".join(what))
    return []
