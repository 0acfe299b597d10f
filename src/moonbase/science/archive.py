"""Science data archive: products with PDS4-like labels, owners, embargoes, and access rules.

Rules (the only ones):

* the owner partner sees its products at any time;
* every other partner of the archive sees a product only from its ``release_utc`` on, which is
  the end of acquisition (``stop_utc``) plus ``embargo_days``; before that the product does not
  appear in its queries at all, and fetching it by id raises :class:`AccessDenied`;
* only partners of the archive may query it.

The archive is one JSON file, rewritten atomically (temporary file + ``os.replace``) on every
change. Times are UTC, ISO 8601, to the second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from skyfield.timelib import Time

from moonbase.errors import DataError, InputError
from moonbase.io import write_text_atomic
from moonbase.science.models import Category
from moonbase.science.solution import Schedule
from moonbase.time import parse_utc_datetime as _parse_utc_datetime

__all__ = [
    "AccessDenied",
    "DataArchive",
    "DataProduct",
    "Pds4Label",
    "parse_utc_datetime",
    "products_from_schedule",
]

_FORMAT = "moonbase-science-archive"


class AccessDenied(InputError):
    """A partner asked for a product it may not see (yet)."""


def parse_utc_datetime(value: str | datetime | Time, *, field: str = "time") -> datetime:
    """A timezone-aware UTC datetime from an ISO string, a datetime or a skyfield Time.

    :func:`moonbase.time.parse_utc_datetime` (the one UTC parser), with offsets converted to
    UTC and a :class:`Time` cut to whole seconds (the archive's resolution).
    """
    moment = _parse_utc_datetime(value, field=field, allow_offset=True)
    return moment.replace(microsecond=0) if isinstance(value, Time) else moment


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Pds4Label(BaseModel):
    """The subset of a PDS4 ``Identification_Area`` / ``Context_Area`` / ``File_Area`` we keep."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    logical_identifier: str  # urn:ilrs:moonbase:<collection>:<product>
    version_id: str = "1.0"
    title: str
    product_class: str = "Product_Observational"
    information_model_version: str = "1.22.0.0"
    investigation_area: str = "ILRS"
    observing_system: str  # the experiment (request id) that made it
    target: str = "Moon"
    start_date_time: str
    stop_date_time: str
    purpose: str = "Science"
    processing_level: str = "Raw"
    discipline_name: Category
    file_name: str = ""
    file_size_bytes: int = Field(default=0, ge=0)


class DataProduct(BaseModel):
    """One archived product: its label, owner and embargo."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:#-]+$")
    request_id: str
    owner: str
    embargo_days: float = Field(ge=0.0)
    label: Pds4Label

    @model_validator(mode="after")
    def _times_in_order(self) -> DataProduct:
        if self.stop_utc < self.start_utc:
            raise ValueError("label stop_date_time is before start_date_time")
        return self

    @property
    def start_utc(self) -> datetime:
        return parse_utc_datetime(self.label.start_date_time)

    @property
    def stop_utc(self) -> datetime:
        return parse_utc_datetime(self.label.stop_date_time)

    @property
    def release_utc(self) -> datetime:
        """When the embargo lifts: end of acquisition plus ``embargo_days``."""
        return self.stop_utc + timedelta(days=self.embargo_days)

    def visible_to(self, partner: str, as_of: datetime) -> bool:
        """The access rule of the module docstring, for one partner at one time."""
        return partner == self.owner or as_of >= self.release_utc


class DataArchive:
    """A JSON-file archive of :class:`DataProduct` shared by ``partners``.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "archive.json"
    >>> archive = DataArchive.create(path, ["CNSA", "ROS"])
    >>> archive.query("ROS", as_of="2031-01-01")
    []
    """

    def __init__(self, path: str | Path, partners: Iterable[str], products=()):
        self.path = Path(path)
        self.partners = tuple(partners)
        self._products: dict[str, DataProduct] = {p.product_id: p for p in products}

    @classmethod
    def create(cls, path: str | Path, partners: Iterable[str]) -> DataArchive:
        """A new empty archive at ``path`` (refuses to overwrite an existing file)."""
        path = Path(path)
        if path.exists():
            raise InputError(
                f"{path} already exists", field="archive", hint="open it with DataArchive.open"
            )
        archive = cls(path, partners)
        if not archive.partners:
            raise InputError("an archive needs at least one partner", field="partners")
        archive.save()
        return archive

    @classmethod
    def open(cls, path: str | Path) -> DataArchive:
        """Read the archive at ``path``."""
        path = Path(path)
        if not path.is_file():
            raise InputError(
                f"no archive at {path}",
                field="archive",
                hint="create one with `moonbase science archive init`",
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != _FORMAT:
                raise DataError(f"{path} is not a moonbase science archive")
            products = [DataProduct.model_validate(p) for p in data["products"]]
            return cls(path, data["partners"], products)
        except (json.JSONDecodeError, KeyError, ValidationError) as error:
            raise DataError(f"{path}: corrupt archive ({error})") from None

    def save(self) -> None:
        """Write the archive atomically."""
        data = {
            "format": _FORMAT,
            "version": 1,
            "partners": list(self.partners),
            "products": [p.model_dump(mode="json") for p in self._products.values()],
        }
        write_text_atomic(self.path, json.dumps(data, indent=1))

    def _check_partner(self, partner: str, field: str) -> None:
        if partner not in self.partners:
            raise InputError(
                f"{partner!r} is not a partner of this archive",
                field=field,
                hint=f"use one of {list(self.partners)}",
            )

    def register(self, products: DataProduct | Iterable[DataProduct]) -> None:
        """Add products (owners must be partners; ids must be new) and save."""
        batch = [products] if isinstance(products, DataProduct) else list(products)
        for product in batch:
            self._check_partner(product.owner, f"{product.product_id}.owner")
            if product.product_id in self._products:
                raise InputError(
                    f"product {product.product_id!r} is already archived",
                    field="product_id",
                    hint="give a new id or a new version_id in the id",
                )
        for product in batch:
            self._products[product.product_id] = product
        self.save()

    def query(
        self,
        partner: str,
        as_of: str | datetime | Time,
        *,
        owner: str | None = None,
        category: Category | str | None = None,
        request_id: str | None = None,
    ) -> list[DataProduct]:
        """Products ``partner`` may see at ``as_of``, optionally filtered, by start time."""
        self._check_partner(partner, "partner")
        moment = parse_utc_datetime(as_of, field="as_of")
        found = [
            p
            for p in self._products.values()
            if p.visible_to(partner, moment)
            and (owner is None or p.owner == owner)
            and (category is None or p.label.discipline_name == category)
            and (request_id is None or p.request_id == request_id)
        ]
        return sorted(found, key=lambda p: (p.label.start_date_time, p.product_id))

    def get(self, product_id: str, partner: str, as_of: str | datetime | Time) -> DataProduct:
        """One product, if ``partner`` may see it at ``as_of``; else :class:`AccessDenied`.

        An unknown id and an embargoed one give the same answer, so ids leak nothing.
        """
        self._check_partner(partner, "partner")
        moment = parse_utc_datetime(as_of, field="as_of")
        product = self._products.get(product_id)
        if product is None or not product.visible_to(partner, moment):
            raise AccessDenied(
                f"no product {product_id!r} visible to {partner} at {_iso(moment)}",
                field="product_id",
                hint="embargoed products open to all partners at their release time",
            )
        return product

    def __len__(self) -> int:
        return len(self._products)


def products_from_schedule(
    schedule: Schedule,
    categories: dict[str, Category],
    *,
    embargo_days: float = 365.0,
    collection: str = "surface",
) -> list[DataProduct]:
    """One raw product per scheduled run, owned by the run's partner."""
    products = []
    for a in schedule.assignments:
        pid = f"{a.request_id}.run{a.repeat}"
        products.append(
            DataProduct(
                product_id=pid,
                request_id=a.request_id,
                owner=a.partner,
                embargo_days=embargo_days,
                label=Pds4Label(
                    logical_identifier=f"urn:ilrs:moonbase:{collection}:{pid.lower()}",
                    title=f"{a.request_id} run {a.repeat} raw data",
                    observing_system=a.request_id,
                    start_date_time=a.start_utc,
                    stop_date_time=a.end_utc,
                    discipline_name=categories[a.request_id],
                ),
            )
        )
    return products
