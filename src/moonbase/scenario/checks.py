"""Checks across the parts of a scenario, beyond what each model checks on its own.

:func:`check_scenario` returns every problem it finds (never stops at the first):

* duplicate ids; references to unknown partners, elements, launchers and locations (an
  element's ``location`` must be ``site``, ``orbit``, ``elsewhere`` or a ``[[locations]]`` id);
  a ``relay_orbit`` on an element that is not in orbit;
* element masses: none given, landed more than TLI, heavier than every allowed launcher;
* dates: empty windows, no launcher available in an element's window, flown elements without
  a launch date;
* dependencies: circular ``requires`` chains (the cycle is listed), capabilities that no element
  provides, and elements that wait on each other through capabilities;
* policies: basic-model ids, objectives that need a date or a basic model.
* crew: a crewed element at the site without ``surface_stay_days``.

It also runs on a scenario whose structure did not validate (``check_raw``): each part that
validates on its own is checked, so one bad field does not hide the other problems.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from pydantic import ValidationError

from moonbase.graphs import find_cycles
from moonbase.scenario.models import (
    RESERVED_LOCATIONS,
    CampaignWindow,
    Element,
    Experiment,
    Launcher,
    Location,
    OrbitNode,
    Partner,
    Policies,
    Scenario,
    Site,
)
from moonbase.scenario.problems import Problem

__all__ = ["check_raw", "check_scenario"]


@dataclass
class _View:
    """The parts of a scenario that validated, with their indices in the file."""

    partners: list[tuple[int, Partner]] = field(default_factory=list)
    launchers: list[tuple[int, Launcher]] = field(default_factory=list)
    elements: list[tuple[int, Element]] = field(default_factory=list)
    experiments: list[tuple[int, Experiment]] = field(default_factory=list)
    locations: list[tuple[int, Location]] = field(default_factory=list)
    site: Site | None = None
    orbit: OrbitNode | None = None
    campaign: CampaignWindow | None = None
    policies: Policies | None = None
    # ids present in the file, whether or not their item validated (no false "unknown" reports)
    partner_ids: set[str] = field(default_factory=set)
    launcher_ids: set[str] = field(default_factory=set)
    element_ids: set[str] = field(default_factory=set)
    location_ids: set[str] = field(default_factory=set)
    has_site: bool = False
    has_orbit: bool = False
    # False when some launchers / elements did not validate: checks that need all of them
    # (capacity, capability providers, deadlocks) are then skipped or use the raw data
    launchers_complete: bool = True
    elements_complete: bool = True
    # False when a section is not even a list: references into it are not reported
    partners_listed: bool = True
    launchers_listed: bool = True
    elements_listed: bool = True
    locations_listed: bool = True
    raw_provides: set[str] = field(default_factory=set)


def check_scenario(scenario: Scenario) -> list[Problem]:
    """Every cross-part problem of a structurally valid scenario (empty list when it is sound)."""
    view = _View(
        partners=list(enumerate(scenario.partners)),
        launchers=list(enumerate(scenario.launchers)),
        elements=list(enumerate(scenario.elements)),
        experiments=list(enumerate(scenario.experiments)),
        locations=list(enumerate(scenario.locations)),
        site=scenario.site,
        orbit=scenario.orbit,
        campaign=scenario.campaign,
        policies=scenario.policies,
        partner_ids={p.id for p in scenario.partners},
        launcher_ids={x.id for x in scenario.launchers},
        element_ids={e.id for e in scenario.elements},
        location_ids={x.id for x in scenario.locations},
        has_site=scenario.site is not None,
        has_orbit=scenario.orbit is not None,
    )
    return _run(view)


def check_raw(data: dict) -> list[Problem]:
    """Cross-part problems of raw scenario data whose structure may be invalid.

    Items are validated one by one; those that fail are left to the structural errors, but
    their ids still count as known.
    """
    if not isinstance(data, dict):
        return []
    view = _View()
    view.partners, view.partner_ids = _items(data.get("partners"), Partner)
    view.launchers, view.launcher_ids = _items(data.get("launchers"), Launcher)
    view.elements, view.element_ids = _items(data.get("elements"), Element)
    view.experiments, _ = _items(data.get("experiments"), Experiment)
    view.locations, view.location_ids = _items(data.get("locations"), Location)
    view.locations_listed = isinstance(data.get("locations", []), list)
    view.site = _one(data.get("site"), Site)
    view.orbit = _one(data.get("orbit"), OrbitNode)
    view.campaign = _one(data.get("campaign"), CampaignWindow)
    view.policies = _one(data.get("policies", {}), Policies)
    view.has_site = "site" in data
    view.has_orbit = "orbit" in data
    view.partners_listed = isinstance(data.get("partners"), list)
    view.launchers_listed = isinstance(data.get("launchers", []), list)
    view.elements_listed = isinstance(data.get("elements", []), list)
    view.launchers_complete = len(view.launchers) == _count(data.get("launchers"))
    view.elements_complete = len(view.elements) == _count(data.get("elements"))
    raw_elements = data.get("elements")
    for item in raw_elements if isinstance(raw_elements, list) else []:
        provides = item.get("provides") if isinstance(item, dict) else None
        if isinstance(provides, list):
            view.raw_provides |= {tag for tag in provides if isinstance(tag, str)}
    return _run(view)


def _count(raw) -> int:
    return len(raw) if isinstance(raw, list) else 0


def _items(raw, model) -> tuple[list, set[str]]:
    if not isinstance(raw, list):
        return [], set()
    good, ids = [], set()
    for index, item in enumerate(raw):
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            ids.add(item["id"])
        try:
            good.append((index, model.model_validate(item)))
        except ValidationError:
            continue
    return good, ids


def _one(raw, model):
    if raw is None:
        return None
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


def _run(view: _View) -> list[Problem]:
    problems: list[Problem] = []
    for check in (
        _check_duplicates,
        _check_partner_refs,
        _check_site,
        _check_locations,
        _check_relay_orbits,
        _check_campaign,
        _check_launchers,
        _check_masses,
        _check_dates,
        _check_requires,
        _check_capabilities,
        _check_policies,
        _check_experiments,
        _check_crew,
        _check_node_elements,
    ):
        problems.extend(check(view))
    return problems


# -- individual checks ---------------------------------------------------------------------------


def _check_duplicates(view: _View) -> Iterable[Problem]:
    for section, items in (
        ("partners", view.partners),
        ("launchers", view.launchers),
        ("elements", view.elements),
        ("experiments", view.experiments),
        ("locations", view.locations),
    ):
        first: dict[str, int] = {}
        for index, item in items:
            if item.id in first:
                yield Problem(
                    (section, index, "id"),
                    f"duplicate id {item.id!r} (already used by {section}[{first[item.id]}])",
                    "give each entry a unique id",
                )
            else:
                first[item.id] = index


def _unknown(kind: str, name: str, known: set[str]) -> str:
    valid = ", ".join(sorted(known)) if known else "none defined"
    close = _close(name, known)
    guess = f"did you mean {close!r}? " if close else ""
    return f"{guess}known {kind}s: {valid}"


def _close(name: str, known: set[str]) -> str | None:
    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _check_partner_refs(view: _View) -> Iterable[Problem]:
    if not view.partners_listed:
        return
    known = view.partner_ids
    sections = (("launchers", view.launchers), ("elements", view.elements))
    for section, items in sections + (("experiments", view.experiments),):
        for index, item in items:
            if item.partner not in known:
                yield Problem(
                    (section, index, "partner"),
                    f"{item.id!r} belongs to unknown partner {item.partner!r}",
                    _unknown("partner", item.partner, known),
                )
    for p_index, partner in view.partners:
        for c_index, contribution in enumerate(partner.contributions):
            for e_index, element_id in enumerate(contribution.elements):
                if view.elements_listed and element_id not in view.element_ids:
                    yield Problem(
                        ("partners", p_index, "contributions", c_index, "elements", e_index),
                        f"partner {partner.id!r} contributes to unknown element {element_id!r}",
                        _unknown("element", element_id, view.element_ids),
                    )


def location_choices(location_ids: Iterable[str]) -> str:
    """The values an element's ``location`` may take, for hints."""
    named = ", ".join(sorted(location_ids)) or "none defined"
    return (
        'location = "site" (at the station), "node" (the station\'s orbit node), "orbit", '
        f'"elsewhere" (not modelled), or the id of a [[locations]] entry ({named})'
    )


def _check_locations(view: _View) -> Iterable[Problem]:
    for index, location in view.locations:
        if location.id in RESERVED_LOCATIONS:
            yield Problem(
                ("locations", index, "id"),
                f"location id {location.id!r} is reserved for elements' location",
                "choose another id for this [[locations]] entry",
            )
    if not view.locations_listed:
        return
    known = set(RESERVED_LOCATIONS) | view.location_ids
    for index, element in view.elements:
        if element.location in known:
            continue
        close = _close(element.location, known)
        guess = f"did you mean {close!r}? " if close else ""
        yield Problem(
            ("elements", index, "location"),
            f"element {element.id!r} is placed at unknown location {element.location!r}",
            f"{guess}write {location_choices(view.location_ids)}",
        )


def _check_node_elements(view: _View) -> Iterable[Problem]:
    if view.has_orbit:
        return
    for index, element in view.elements:
        if element.location == "node":
            yield Problem(
                ("elements", index, "location"),
                f"element {element.id!r} is placed at the node but the scenario has no [orbit]",
                'add an [orbit] table (e.g. family = "nrho", resonance = "9:2") or place it '
                'elsewhere (location = "site" or "orbit")',
            )


def _check_relay_orbits(view: _View) -> Iterable[Problem]:
    for index, element in view.elements:
        if element.relay_orbit is not None and element.location != "orbit":
            yield Problem(
                ("elements", index, "relay_orbit"),
                f"element {element.id!r} has a relay_orbit but is placed at "
                f"{element.location!r}, not in orbit",
                'set location = "orbit" or remove the [elements.relay_orbit] table',
            )


def _check_site(view: _View) -> Iterable[Problem]:
    if not view.has_site and not view.has_orbit:
        yield Problem(
            ("site",),
            "the scenario has neither a [site] nor an [orbit] node",
            "add a [site] table with name, latitude_deg and longitude_deg",
        )
    if not view.has_site:
        for index, element in view.elements:
            if element.location == "site":
                yield Problem(
                    ("elements", index, "location"),
                    f"element {element.id!r} is placed at the site but the scenario has no [site]",
                    'add a [site] table or set location = "orbit" / "elsewhere"',
                )


def _check_campaign(view: _View) -> Iterable[Problem]:
    window = view.campaign
    if window is not None and window.end <= window.start:
        yield Problem(
            ("campaign", "end"),
            f"campaign ends ({window.end}) before it starts ({window.start})",
            "set campaign.end after campaign.start",
        )


def _check_launchers(view: _View) -> Iterable[Problem]:
    for index, launcher in view.launchers:
        if (
            launcher.last_available is not None
            and launcher.last_available < launcher.first_available
        ):
            yield Problem(
                ("launchers", index, "last_available"),
                f"launcher {launcher.id!r} is retired ({launcher.last_available}) before it is "
                f"first available ({launcher.first_available})",
                "set last_available after first_available, or remove it",
            )
        record = launcher.reliability.record
        if record is not None and record.failures > record.flights:
            yield Problem(
                ("launchers", index, "reliability", "record", "failures"),
                f"launcher {launcher.id!r} has {record.failures} failures in {record.flights} flights",
                "failures must not exceed flights",
            )


def _kg(value: float) -> str:
    return f"{value:,.0f} kg"


def _candidate_launchers(view: _View, element: Element) -> list[Launcher]:
    launchers = [launcher for _, launcher in view.launchers]
    if element.allowed_launchers:
        allowed = set(element.allowed_launchers)
        launchers = [launcher for launcher in launchers if launcher.id in allowed]
    return launchers


def _check_masses(view: _View) -> Iterable[Problem]:
    for index, element in view.elements:
        base = ("elements", index)
        for l_index, launcher_id in enumerate(element.allowed_launchers):
            if view.launchers_listed and launcher_id not in view.launcher_ids:
                yield Problem(
                    base + ("allowed_launchers", l_index),
                    f"element {element.id!r} names unknown launcher {launcher_id!r}",
                    _unknown("launcher", launcher_id, view.launcher_ids),
                )
        if element.mass_tli_kg is None and element.landed_mass_kg is None:
            yield Problem(
                base,
                f"element {element.id!r} has no mass",
                "give mass_tli_kg (mass at trans-lunar injection) and/or landed_mass_kg",
            )
            continue
        if element.location in ("orbit", "node", "elsewhere") and element.mass_tli_kg is None:
            yield Problem(
                base + ("landed_mass_kg",),
                f"element {element.id!r} is not landed at a modelled place ({element.location}) "
                "but has only a landed mass",
                "give mass_tli_kg for elements in orbit, at the node or elsewhere",
            )
            continue
        if (
            element.mass_tli_kg is not None
            and element.landed_mass_kg is not None
            and element.landed_mass_kg > element.mass_tli_kg
        ):
            yield Problem(
                base + ("landed_mass_kg",),
                f"element {element.id!r} lands {_kg(element.landed_mass_kg)}, more than its "
                f"{_kg(element.mass_tli_kg)} at TLI",
                "the landed mass is part of the TLI mass; check the two figures",
            )
        if not element.is_planned or not view.launchers_complete:
            continue
        candidates = _candidate_launchers(view, element)
        if not candidates:
            if not element.allowed_launchers or all(
                launcher_id in view.launcher_ids for launcher_id in element.allowed_launchers
            ):
                yield Problem(
                    base + ("allowed_launchers",),
                    f"element {element.id!r} still has to fly but the scenario has no launcher "
                    "for it",
                    "add a [[launchers]] entry",
                )
            continue
        field_name = "mass_tli_kg" if element.mass_tli_kg is not None else "landed_mass_kg"
        fits = [x for x in candidates if element.tli_mass_on(x) <= x.capacity_tli_kg]
        if fits:
            continue
        largest = max(candidates, key=lambda x: x.capacity_tli_kg - element.tli_mass_on(x))
        need = element.tli_mass_on(largest)
        how = (
            ""
            if field_name == "mass_tli_kg"
            else (
                f" ({_kg(element.landed_mass_kg)} landed / {largest.landed_fraction:g} landed fraction)"
            )
        )
        if len(candidates) == 1:
            message = (
                f"launcher {largest.id} capacity {_kg(largest.capacity_tli_kg)} < element "
                f"{element.id} mass {_kg(need)} at TLI{how} (no launcher can carry it)"
            )
        else:
            message = (
                f"element {element.id} needs {_kg(need)} at TLI{how} but the largest of its "
                f"{len(candidates)} launchers, {largest.id}, carries {_kg(largest.capacity_tli_kg)} "
                "(no launcher can carry it)"
            )
        yield Problem(
            base + (field_name,),
            message,
            f"lower {field_name}, or add/allow a launcher with capacity_tli_kg >= {need:.0f}",
        )


def _check_dates(view: _View) -> Iterable[Problem]:
    window = view.campaign
    for index, element in view.elements:
        base = ("elements", index)
        dates = [
            (name, getattr(element, name))
            for name in ("earliest_launch", "target_launch", "latest_launch")
            if getattr(element, name) is not None
        ]
        for (name_a, a), (name_b, b) in pairwise(dates):
            if b < a:
                yield Problem(
                    base + (name_b,),
                    f"element {element.id!r} has {name_b} {b} before {name_a} {a}",
                    "dates must run earliest_launch <= target_launch <= latest_launch",
                )
        if element.is_planned:
            if element.launched_on is not None:
                yield Problem(
                    base + ("launched_on",),
                    f"element {element.id!r} is planned but has a launch date {element.launched_on}",
                    'set state = "flown" (or "failed"), or remove launched_on',
                )
        elif element.launched_on is None:
            yield Problem(
                base + ("state",),
                f"element {element.id!r} is {element.state} but has no launched_on date",
                "add launched_on = YYYY-MM-DD",
            )
        if not element.is_planned or window is None or not view.launchers_complete:
            continue
        start = max(element.earliest_launch or window.start, window.start)
        end = min(element.latest_launch or window.end, window.end)
        if end < start:
            yield Problem(
                base + ("latest_launch" if element.latest_launch else "earliest_launch",),
                f"element {element.id!r} can only fly {start} to {end}, outside the campaign "
                f"{window.start} to {window.end}",
                "move its dates into the campaign window or widen [campaign]",
            )
            continue
        candidates = [
            launcher
            for launcher in _candidate_launchers(view, element)
            if (element.mass_tli_kg is not None or element.landed_mass_kg is not None)
            and element.tli_mass_on(launcher) <= launcher.capacity_tli_kg
        ]
        if not candidates:
            continue  # reported by the mass checks
        available = [
            launcher
            for launcher in candidates
            if launcher.first_available <= end
            and (launcher.last_available is None or launcher.last_available >= start)
        ]
        if not available:
            spans = "; ".join(
                f"{x.id} from {x.first_available}"
                + (f" to {x.last_available}" if x.last_available else "")
                for x in candidates
            )
            yield Problem(
                base + ("latest_launch" if element.latest_launch else "earliest_launch",),
                f"no launcher able to carry element {element.id!r} is available between {start} "
                f"and {end} ({spans})",
                "widen the element's dates, or add a launcher available in that window",
            )


def _check_requires(view: _View) -> Iterable[Problem]:
    index_of = {element.id: index for index, element in view.elements}
    failed = {element.id for _, element in view.elements if element.state == "failed"}
    graph: dict[str, list[str]] = {}
    for index, element in view.elements:
        graph[element.id] = []
        for r_index, required in enumerate(element.requires):
            if view.elements_listed and required not in view.element_ids:
                yield Problem(
                    ("elements", index, "requires", r_index),
                    f"{element.id!r} depends on unknown element {required!r}",
                    _unknown("element", required, view.element_ids),
                )
            elif required in failed and element.state != "failed":
                yield Problem(
                    ("elements", index, "requires", r_index),
                    f"{element.id!r} depends on element {required!r}, which failed",
                    "depend on a replacement element instead, or drop the dependency",
                )
            elif required in index_of:
                graph[element.id].append(required)
    for cycle in find_cycles(graph):
        yield Problem(
            ("elements", index_of[cycle[0]], "requires"),
            "circular dependency: " + " -> ".join(cycle + [cycle[0]]),
            "remove one of these requires so the chain has a start",
        )


def _check_capabilities(view: _View) -> Iterable[Problem]:
    live = [(index, element) for index, element in view.elements if element.state != "failed"]
    providers: dict[str, list[str]] = {}
    for _, element in live:
        for tag in element.provides:
            providers.setdefault(tag, []).append(element.id)
    missing = False
    for index, element in live:
        for n_index, tag in enumerate(element.needs):
            if tag not in providers and tag not in view.raw_provides:
                missing = True
                yield Problem(
                    ("elements", index, "needs", n_index),
                    f"element {element.id!r} needs {tag!r} but no element provides it",
                    f"add {tag!r} to the provides list of an element, or remove it from needs"
                    + (f" (provided: {', '.join(sorted(providers))})" if providers else ""),
                )
    if missing or not view.elements_complete:
        return
    # Which elements can ever operate? Fixed point over requires + needs.
    known_requires = {
        element.id: [r for r in element.requires if r in view.element_ids] for _, element in live
    }
    operating: set[str] = set()
    changed = True
    while changed:
        changed = False
        for _, element in live:
            if element.id in operating:
                continue
            if all(r in operating for r in known_requires[element.id]) and all(
                any(p in operating for p in providers[tag]) for tag in element.needs
            ):
                operating.add(element.id)
                changed = True
    stuck = [(index, element) for index, element in live if element.id not in operating]
    if not stuck:
        return
    stuck_ids = {element.id for _, element in stuck}
    graph = {
        element.id: sorted(
            {r for r in known_requires[element.id] if r in stuck_ids}
            | {p for tag in element.needs for p in providers[tag] if p in stuck_ids}
        )
        for _, element in stuck
    }
    require_cycle_members = {
        node
        for cycle in find_cycles(
            {k: [r for r in known_requires[k] if r in stuck_ids] for k in graph}
        )
        for node in cycle
    }
    index_of = {element.id: index for index, element in stuck}
    for cycle in find_cycles(graph):
        if set(cycle) <= require_cycle_members:
            continue  # already listed as a circular requires chain
        steps = []
        for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True):
            tags = [tag for tag in _element_in(stuck, a).needs if b in providers[tag]]
            steps.append(f"{a} needs {tags[0]!r} from {b}" if tags else f"{a} requires {b}")
        yield Problem(
            ("elements", index_of[cycle[0]], "needs"),
            "circular capability dependency, these can never operate: " + "; ".join(steps),
            "let one of them operate without the other (drop a need, or add a provider "
            "with no needs)",
        )


def _element_in(items: Sequence[tuple[int, Element]], element_id: str) -> Element:
    for _, element in items:
        if element.id == element_id:
            return element
    raise KeyError(element_id)  # pragma: no cover


def _check_policies(view: _View) -> Iterable[Problem]:
    policies = view.policies
    if policies is None:
        return
    for index, element_id in enumerate(policies.basic_model):
        if view.elements_listed and element_id not in view.element_ids:
            yield Problem(
                ("policies", "basic_model", index),
                f"basic model lists unknown element {element_id!r}",
                _unknown("element", element_id, view.element_ids),
            )
    failed = {element.id for _, element in view.elements if element.state == "failed"}
    for index, element_id in enumerate(policies.basic_model):
        if element_id in failed:
            yield Problem(
                ("policies", "basic_model", index),
                f"basic model lists element {element_id!r}, which failed",
                "add a replacement element and list it instead",
            )
    if "earliest_basic_model" in policies.objective and not policies.basic_model:
        yield Problem(
            ("policies", "basic_model"),
            "objective earliest_basic_model needs a basic model, but basic_model is empty",
            "list the element ids that make up the basic model",
        )
    if "max_capability_by_date" in policies.objective and policies.capability_deadline is None:
        yield Problem(
            ("policies", "capability_deadline"),
            "objective max_capability_by_date needs capability_deadline",
            "add capability_deadline = YYYY-MM-DD to [policies]",
        )
    if len(set(policies.objective)) != len(policies.objective):
        yield Problem(
            ("policies", "objective"),
            "an objective is listed twice",
            "list each objective once, most important first",
        )


def _check_experiments(view: _View) -> Iterable[Problem]:
    window = view.campaign
    span_h = None if window is None else (window.end - window.start).days * 24.0
    for index, experiment in view.experiments:
        for r_index, element_id in enumerate(experiment.requires):
            if view.elements_listed and element_id not in view.element_ids:
                yield Problem(
                    ("experiments", index, "requires", r_index),
                    f"experiment {experiment.id!r} needs unknown element {element_id!r}",
                    _unknown("element", element_id, view.element_ids),
                )
        if span_h is not None and span_h > 0 and experiment.duration_h > span_h:
            yield Problem(
                ("experiments", index, "duration_h"),
                f"experiment {experiment.id!r} lasts {experiment.duration_h:g} h, longer than the "
                f"campaign ({span_h:g} h)",
                "shorten it or widen [campaign]",
            )


def _check_crew(view: _View) -> Iterable[Problem]:
    for index, element in view.elements:
        at_station = element.location in ("site", "node")
        if element.crew > 0 and at_station and element.surface_stay_days is None:
            yield Problem(
                ("elements", index, "surface_stay_days"),
                f"element {element.id!r} brings {element.crew} crew to the "
                f"{element.location} but has no surface_stay_days",
                "add surface_stay_days = <days at the station> (a positive number)",
            )
