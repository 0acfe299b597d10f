"""The scenario data model: partners, elements, launchers, site or orbit node, named surface
locations, campaign window, experiments and policies, as strict pydantic v2 models.

A scenario is what every later stage consumes: the campaign planner assigns its elements to its
launchers, the systems twin runs its elements' power, the science scheduler its experiments.
The models check types, ranges and unknown keys; relations between parts (unknown ids,
dependency cycles, masses no launcher can carry, empty date windows) are checked by
:func:`moonbase.scenario.validate.check_scenario`, which :func:`moonbase.scenario.load_scenario`
runs on every file.

Units are in the field names: ``_kg``, ``_w`` (watts), ``_wh`` (watt-hours), ``_h`` (hours),
``_deg``, ``_m``, ``_km``, ``_gbit`` (gigabits, 10^9 bit), ``_mbps`` (megabits per second),
``_musd`` (millions of US dollars). Dates are calendar dates (UTC).

Where an element is: ``location`` is required and is ``"site"`` (the station's ``[site]``),
``"node"`` (part of the station's lunar-orbit node, the scenario's ``[orbit]``), ``"orbit"``
(elsewhere in lunar orbit: relays, crew ships), ``"elsewhere"`` (a place the model does not
represent) or the ``id`` of a ``[[locations]]`` entry (a named surface place with coordinates,
e.g. another mission's landing target).

Provenance of a fact, following the reference note's tags:

* ``announced``: stated by the agency or official state media ([P] in the note);
* ``reported``: reputable news or encyclopaedia ([S]);
* ``notional``: not public; a modelling assumption derived as the element's ``mass_basis`` says.

>>> from datetime import date
>>> lm5 = Launcher(id="LM-5", name="Long March 5", partner="CNSA", capacity_tli_kg=8200.0,
...                landed_fraction=0.35, cadence_per_year=2.0, first_available=date(2016, 11, 3),
...                reliability=BetaPrior(alpha=20.0, beta=2.0), provenance="reported", source="note")
>>> round(lm5.reliability.mean, 3)
0.909
>>> round(lm5.landed_capacity_kg)
2870
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from moonbase.orbit.spec import OrbitNodeSpec

__all__ = [
    "CAPABILITY_TAGS",
    "RESERVED_LOCATIONS",
    "BetaPrior",
    "CampaignWindow",
    "Contribution",
    "Element",
    "Experiment",
    "FlightRecord",
    "Launcher",
    "Location",
    "OrbitNode",
    "Partner",
    "PartnerGoal",
    "Policies",
    "RelayOrbit",
    "Scenario",
    "SignedPartners",
    "Site",
]

#: An identifier: letters, digits, ``-``, ``_`` and ``.``, starting with a letter or digit.
Identifier = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", min_length=1, max_length=64)
]
Text = Annotated[str, StringConstraints(min_length=1)]
Provenance = Literal["announced", "reported", "notional"]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]

#: Capability tags used by the built-in scenario (others are allowed; each tag that some
#: element ``needs`` must be ``provided`` by some element).
CAPABILITY_TAGS = (
    "power",
    "comms",
    "relay",
    "command",
    "survey",
    "isru",
    "research",
    "astronomy",
    "mobility",
    "habitat",
    "crew_transport",
)

#: Element locations that are not ``[[locations]]`` ids: the station's site, the station's
#: lunar-orbit node (the scenario's ``[orbit]``), lunar orbit otherwise (relays, crew ships), and
#: somewhere the model does not represent.
RESERVED_LOCATIONS = ("site", "node", "orbit", "elsewhere")

ContributionLevel = Literal[
    "joint_demonstration",
    "mission",
    "system",
    "subsystem",
    "unit",
    "payload",
    "ground",
    "science",
    "education",
    "funding",
    "data",
]
ElementRole = Literal[
    "precursor",
    "relay",
    "power",
    "comms",
    "command",
    "research",
    "isru",
    "technology",
    "astronomy",
    "habitat",
    "mobility",
    "logistics",
    "crew_transport",
    "crew_lander",
    "orbital_node",
]
ExperimentCategory = Literal[
    "exploration_utilisation",
    "lunar_based_observation",
    "basic_science",
    "technology_verification",
]
ExperimentWindow = Literal["any", "sunlit", "dark", "earth_in_view", "earth_not_in_view"]
Objective = Literal["earliest_basic_model", "max_capability_by_date", "least_cost"]


class _Model(BaseModel):
    """Strict, closed models: no type coercion, no unknown keys."""

    model_config = ConfigDict(
        strict=True, extra="forbid", validate_default=True, allow_inf_nan=False
    )


class Contribution(_Model):
    """One thing a partner contributes, at one of the ILRS cooperation levels (note §1.6)."""

    level: ContributionLevel
    description: Text
    elements: list[Identifier] = Field(default_factory=list)
    value_musd: NonNegativeFloat | None = None


class Partner(_Model):
    """A country, agency or international organisation taking part."""

    id: Identifier
    name: Text
    agency: Text
    country: Text | None = None
    kind: Literal["state", "organisation"] = "state"
    capability_class: Literal[
        "launch_provider", "hardware_provider", "payload_provider", "ground_data"
    ] = "payload_provider"
    joined: date | None = None
    budget_musd_per_year: PositiveFloat | None = None
    contributions: list[Contribution] = Field(default_factory=list)
    provenance: Provenance = "reported"
    source: str = ""


class FlightRecord(_Model):
    """A launcher's flight record as of a date, from which its reliability prior is made."""

    flights: Annotated[int, Field(ge=0)]
    failures: Annotated[int, Field(ge=0)]
    as_of: date


class BetaPrior(_Model):
    """Beta(alpha, beta) prior on the probability that one launch succeeds."""

    alpha: PositiveFloat
    beta: PositiveFloat
    record: FlightRecord | None = None
    basis: str = ""

    @property
    def mean(self) -> float:
        """Prior mean success probability, alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)


class Launcher(_Model):
    """A launch vehicle able to send elements to trans-lunar injection (TLI)."""

    id: Identifier
    name: Text
    partner: Identifier
    capacity_tli_kg: PositiveFloat
    landed_fraction: Annotated[float, Field(gt=0, le=1)]
    cadence_per_year: PositiveFloat
    first_available: date
    last_available: date | None = None
    reliability: BetaPrior
    cost_per_launch_musd: NonNegativeFloat | None = None
    provenance: Provenance = "reported"
    source: str = ""
    note: str = ""

    @property
    def landed_capacity_kg(self) -> float:
        """Mass this launcher puts on the surface with a lander: capacity x landed fraction."""
        return self.capacity_tli_kg * self.landed_fraction


class RelayOrbit(_Model):
    """The orbit of a relay element (``location = "orbit"``), as two-body elements at ``epoch``.

    Altitudes are above the 1737.4 km sphere. ``frame`` is the reference of the angles:
    ``"moon_me_epoch"`` (default) is the Moon's mean-Earth/polar-axis frame (MOON_ME) at
    ``epoch``, then held fixed in inertial space (the convention of :mod:`moonbase.orbit.kepler`;
    ``raan_deg`` is the east longitude of the ascending node at the epoch); ``"j2000"`` is the
    Moon-centred J2000 (ICRF) equatorial frame. ``epoch`` is a date (00:00 UTC) or a UTC
    date-time (naive: UTC). :func:`moonbase.orbit.relays.relay_positions_me_km` propagates it.
    """

    periapsis_altitude_km: PositiveFloat
    apoapsis_altitude_km: PositiveFloat
    inclination_deg: Annotated[float, Field(ge=0, le=180)]
    raan_deg: Annotated[float, Field(ge=-360, le=360)] = 0.0
    argument_of_periapsis_deg: Annotated[float, Field(ge=-360, le=360)] = 0.0
    mean_anomaly_deg: Annotated[float, Field(ge=-360, le=360)] = 0.0
    epoch: datetime | date
    frame: Literal["moon_me_epoch", "j2000"] = "moon_me_epoch"
    provenance: Provenance
    source: Text
    note: str = ""

    @model_validator(mode="after")
    def _check_apsides(self):
        if self.apoapsis_altitude_km < self.periapsis_altitude_km:
            raise ValueError(
                f"apoapsis_altitude_km {self.apoapsis_altitude_km:g} is below "
                f"periapsis_altitude_km {self.periapsis_altitude_km:g}; swap them"
            )
        return self


class Element(_Model):
    """A mission or station element: a lander, an orbiter, a module, a power unit, a crew flight.

    Give ``mass_tli_kg`` (mass at trans-lunar injection, what the launcher lifts) and/or
    ``landed_mass_kg`` (what reaches the surface). With only a landed mass, the TLI mass needed
    on a launcher is ``landed_mass_kg / launcher.landed_fraction``.

    Dependencies: the element can operate once every element in ``requires`` operates and
    every capability in ``needs`` is provided by some operating element (``provides``).

    Location (required): ``"site"`` (lands at the station), ``"node"`` (joins the station's
    lunar-orbit node: give ``mass_tli_kg``; what reaches the node is that less the insertion
    propellant, :attr:`OrbitNode.insertion_delta_v_km_s`), ``"orbit"``, ``"elsewhere"`` (not
    modelled) or the id of a ``[[locations]]`` entry (lands there, not at the station).

    Communications: ``downlink_rate_mbps`` (direct to Earth, while Earth is in view) and
    ``data_buffer_gbit`` (onboard storage for data waiting for the downlink) make a surface
    element a comms terminal of the station (:mod:`moonbase.systems`); ``relay_rate_mbps`` is
    its link rate through an orbiting relay while one is available.

    Relays: ``relay_orbit`` (elements with ``location = "orbit"`` only) is a relay's orbit;
    the systems stage propagates it (:mod:`moonbase.orbit.relays`) to tell when the station's
    cell can use the relay.

    Crew: ``crew`` people stay ``surface_stay_days`` from the element's arrival (required when
    a crewed element lands at the site); ``landed_o2_kg``, ``landed_water_kg``,
    ``landed_food_kg`` (food as shipped, with packaging) and ``landed_n2_kg`` (make-up gas) are
    the consumables it lands with, delivered to the station's stores on its arrival
    (:mod:`moonbase.systems.eclss`, :mod:`moonbase.logistics`); ``cabin_leak_kg_per_day`` is
    the cabin air it loses while crew are on board.

    Upkeep: the element's working equipment (its operations load in the twin) fails at random
    with mean time between failures ``mtbf_h``; each repair takes ``spare_mass_kg`` of spare
    parts from the station's spares stock, which the logistics step supplies.
    """

    id: Identifier
    name: Text
    partner: Identifier
    role: ElementRole
    location: Identifier
    mass_tli_kg: PositiveFloat | None = None
    landed_mass_kg: PositiveFloat | None = None
    mass_provenance: Provenance = "notional"
    mass_basis: str = ""
    power_produced_w: NonNegativeFloat | None = None
    power_consumed_operating_w: NonNegativeFloat | None = None
    power_consumed_survival_w: NonNegativeFloat | None = None
    energy_storage_wh: NonNegativeFloat | None = None
    downlink_rate_mbps: NonNegativeFloat | None = None
    data_buffer_gbit: NonNegativeFloat | None = None
    relay_rate_mbps: NonNegativeFloat | None = None
    relay_orbit: RelayOrbit | None = None
    crew: Annotated[int, Field(ge=0)] = 0
    surface_stay_days: PositiveFloat | None = None
    landed_o2_kg: NonNegativeFloat | None = None
    landed_water_kg: NonNegativeFloat | None = None
    landed_food_kg: NonNegativeFloat | None = None
    landed_n2_kg: NonNegativeFloat | None = None
    cabin_leak_kg_per_day: NonNegativeFloat | None = None
    mtbf_h: PositiveFloat | None = None
    spare_mass_kg: NonNegativeFloat | None = None
    provides: list[Identifier] = Field(default_factory=list)
    needs: list[Identifier] = Field(default_factory=list)
    requires: list[Identifier] = Field(default_factory=list)
    allowed_launchers: list[Identifier] = Field(default_factory=list)
    earliest_launch: date | None = None
    target_launch: date | None = None
    latest_launch: date | None = None
    state: Literal["planned", "flown", "failed"] = "planned"
    launched_on: date | None = None
    contribution_level: ContributionLevel = "mission"
    provenance: Provenance
    source: Text
    note: str = ""

    @property
    def lands_at_site(self) -> bool:
        """True when the element is part of the station at the ``[site]``."""
        return self.location == "site"

    @property
    def is_planned(self) -> bool:
        """True when the element still has to fly (the campaign planner schedules it)."""
        return self.state == "planned"

    def tli_mass_on(self, launcher: Launcher) -> float:
        """TLI mass (kg) this element takes on ``launcher``."""
        if self.mass_tli_kg is not None:
            return self.mass_tli_kg
        if self.landed_mass_kg is None:  # pragma: no cover - refused by check_scenario
            raise ValueError(f"element {self.id!r} has no mass")
        return self.landed_mass_kg / launcher.landed_fraction


class Site(_Model):
    """The surface site of the base (planetocentric latitude, east longitude, LOLA datum).

    ``search_radius_km``: the site stage chooses the station's terrain cell within this
    distance of the given point.
    """

    name: Text
    latitude_deg: Annotated[float, Field(ge=-90, le=90)]
    longitude_deg: Annotated[float, Field(ge=-360, le=360)]
    height_m: float = 0.0
    search_radius_km: PositiveFloat = 5.0
    source: str = ""


class Location(_Model):
    """A named surface place other than the station's site (e.g. another mission's landing
    target), planetocentric latitude, east longitude, height above the 1737.4 km sphere."""

    id: Identifier
    name: Text
    latitude_deg: Annotated[float, Field(ge=-90, le=90)]
    longitude_deg: Annotated[float, Field(ge=-360, le=360)]
    height_m: float = 0.0
    provenance: Provenance
    source: Text


class OrbitNode(OrbitNodeSpec):
    """A named lunar-orbit node (hub) option: an :class:`moonbase.orbit.OrbitNodeSpec` (family
    ``nrho``/``halo``/``llo``/``elfo`` and its parameters) that ``moonbase.orbit`` propagates and
    analyses (eclipses, Earth and site visibility, transfer delta-v).

    Elements with ``location = "node"`` make up the orbital station. Each is thrown to TLI by
    its launcher and inserted into the node's orbit by its own stage: ``insertion_delta_v_km_s``
    (default: the orbit stage's patched-conic estimate from a direct TLI,
    :func:`moonbase.orbit.node_delta_v_budget`) at ``insertion_isp_s`` (default 320 s, a
    storable bipropellant stage: the Orion service module's main engine has 316 s) leaves
    ``exp(-dv / (g0 Isp))`` of the TLI mass at the node.
    """

    name: Text
    source: str = ""
    insertion_delta_v_km_s: PositiveFloat | None = None
    insertion_isp_s: PositiveFloat = 320.0


class CampaignWindow(_Model):
    """The span the campaign is planned over and the size of its time buckets."""

    start: date
    end: date
    bucket: Literal["week", "month", "quarter", "year"] = "month"


class Experiment(_Model):
    """A science request: ``repeats`` runs of ``duration_h``, each at least ``repeat_gap_h`` after
    the previous one ends."""

    id: Identifier
    partner: Identifier
    category: ExperimentCategory
    title: str = ""
    duration_h: PositiveFloat
    power_w: NonNegativeFloat = 0.0
    data_volume_gbit: NonNegativeFloat = 0.0
    crew_time_h: NonNegativeFloat = 0.0
    windows: list[ExperimentWindow] = Field(default_factory=lambda: ["any"], min_length=1)
    requires: list[Identifier] = Field(default_factory=list)
    priority: Annotated[int, Field(ge=1, le=10)] = 5
    repeats: Annotated[int, Field(ge=1)] = 1
    #: Hours from the end of one run to the earliest start of the next (a request rate: runs at
    #: most every ``duration_h + repeat_gap_h``).
    repeat_gap_h: NonNegativeFloat = 0.0
    #: Mass each run uses up that must be delivered to the station (sample containers,
    #: reagents, replaceable detectors): the logistics commodity ``science``.
    consumables_kg_per_run: NonNegativeFloat = 0.0
    provenance: Provenance = "notional"
    source: str = ""


class PartnerGoal(_Model):
    """A stated goal for the number of partners (a documented policy figure, not a forecast)."""

    countries: Annotated[int, Field(ge=1)]
    institutions: Annotated[int, Field(ge=0)] = 0
    researchers: Annotated[int, Field(ge=0)] = 0
    provenance: Provenance = "reported"
    source: Text


class SignedPartners(_Model):
    """How many partners had signed up by a date, per the latest public statement.

    ``count`` is countries and international organisations; ``institutions`` a lower bound
    where the statement says "more than".
    """

    count: Annotated[int, Field(ge=0)]
    institutions: Annotated[int, Field(ge=0)] | None = None
    as_of: date
    provenance: Provenance = "reported"
    source: Text


class Policies(_Model):
    """How the campaign is judged and what it may do.

    ``partner_goal`` and ``signed_partners`` document partner growth (the goal and the count
    as of the latest statement); the planner does not use them. ``consumables_reserve_days``
    (default 3: about the time to bring a crew home from the surface) is the reserve the
    logistics step keeps on hand (:mod:`moonbase.logistics`).
    """

    objective: list[Objective] = Field(
        default_factory=lambda: ["earliest_basic_model"], min_length=1
    )
    basic_model: list[Identifier] = Field(default_factory=list)
    basic_model_target: date | None = None
    capability_deadline: date | None = None
    co_manifesting: bool = True
    landing_requires_daylight: bool = True
    landing_min_sun_elevation_deg: Annotated[float, Field(ge=-5, le=45)] = 0.0
    partner_goal: PartnerGoal | None = None
    signed_partners: SignedPartners | None = None
    #: Consumables (O2, water, food, make-up gas) the station must hold beyond what it is
    #: using: this many days of the current consumption (the logistics step's reserve).
    consumables_reserve_days: NonNegativeFloat = 3.0


class Scenario(_Model):
    """A whole scenario: who takes part, what is built, what flies it, where and when."""

    schema_version: Literal[1] = 1
    name: Text
    description: str = ""
    site: Site | None = None
    orbit: OrbitNode | None = None
    locations: list[Location] = Field(default_factory=list)
    campaign: CampaignWindow
    policies: Policies = Field(default_factory=Policies)
    partners: list[Partner] = Field(min_length=1)
    launchers: list[Launcher] = Field(default_factory=list)
    elements: list[Element] = Field(default_factory=list)
    experiments: list[Experiment] = Field(default_factory=list)

    def element(self, element_id: str) -> Element:
        """The element with this id (KeyError with the valid ids otherwise)."""
        return _by_id(self.elements, element_id, "element")

    def launcher(self, launcher_id: str) -> Launcher:
        """The launcher with this id (KeyError with the valid ids otherwise)."""
        return _by_id(self.launchers, launcher_id, "launcher")

    def partner(self, partner_id: str) -> Partner:
        """The partner with this id (KeyError with the valid ids otherwise)."""
        return _by_id(self.partners, partner_id, "partner")

    def location(self, location_id: str) -> Location:
        """The ``[[locations]]`` entry with this id (KeyError with the valid ids otherwise)."""
        return _by_id(self.locations, location_id, "location")

    def location_of(self, element: Element) -> Location | None:
        """The ``[[locations]]`` entry ``element`` lands at; None for ``"site"`` (see
        :attr:`site`), ``"orbit"`` and ``"elsewhere"``."""
        if element.location in RESERVED_LOCATIONS:
            return None
        return self.location(element.location)

    def launchers_for(self, element: Element) -> list[Launcher]:
        """Launchers allowed for ``element`` (all of them when its list is empty)."""
        if not element.allowed_launchers:
            return list(self.launchers)
        allowed = set(element.allowed_launchers)
        return [launcher for launcher in self.launchers if launcher.id in allowed]

    @property
    def planned_elements(self) -> list[Element]:
        """Elements still to fly, in file order."""
        return [element for element in self.elements if element.is_planned]


def _by_id(items, item_id, kind):
    for item in items:
        if item.id == item_id:
            return item
    valid = ", ".join(item.id for item in items) or "none"
    raise KeyError(f"no {kind} {item_id!r}; valid: {valid}")
