"""The site stage's result on disk, under a key of its inputs' hashes, shared by variants and runs.

The site stage (:func:`moonbase.site.stage.choose_site`: horizons through the far field, the
survey of the cells, the chosen cell's hourly light) is the plan's heaviest stage and depends on
nothing a trade usually changes: only on the terrain, the scenario's site, the span and the
stage's parameters. :func:`site_key` hashes exactly those inputs (the terrain's heights and
georeferencing, the site's fields, start, stop, search radius, mast height, azimuths, survey days)
with the code of the stages that compute it (:func:`code_fingerprint`), so a changed input or a
changed algorithm is a new key. :class:`SiteCache` keeps one pickle per key, written atomically
(:func:`moonbase.io.atomic_path`): two workers writing the same key each write a temporary file and
rename it, the last rename wins with the same content, and a reader never sees half a file.

The cache holds pickles: point it only at a folder of your own (the default is
``~/.cache/moonbase/study``).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np

from moonbase import __version__
from moonbase.io import atomic_path
from moonbase.site.stage import MAST_HEIGHT_M, N_AZIMUTHS, SiteChoice, SiteTerrain, choose_site

__all__ = [
    "CACHE_FORMAT",
    "SiteCache",
    "SiteChooser",
    "code_fingerprint",
    "default_cache_folder",
    "site_key",
    "terrain_fingerprint",
]

#: Bumped when what a cache file holds changes shape.
CACHE_FORMAT = 1
#: The packages whose code makes the site stage's result.
_SITE_CODE = ("site", "terrain", "ephemeris")


def default_cache_folder() -> Path:
    """``$XDG_CACHE_HOME/moonbase/study`` (``~/.cache/moonbase/study`` by default)."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "moonbase" / "study"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the source of the packages that compute the site stage, and the version."""
    import moonbase

    digest = hashlib.sha256(f"{__version__}:{CACHE_FORMAT}".encode())
    root = Path(moonbase.__file__).parent
    for package in _SITE_CODE:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    digest.update((root / "time.py").read_bytes())
    return digest.hexdigest()


def terrain_fingerprint(terrain: SiteTerrain) -> str:
    """SHA-256 of the terrain's heights and georeferencing (inner DEM and far fields)."""
    digest = hashlib.sha256()
    digest.update(f"synthetic={terrain.synthetic};far_field={terrain.far_field}".encode())
    for part in (terrain.inner, terrain.outer, terrain.map_outer):
        if part is None:
            digest.update(b"none")
            continue
        heights = np.ascontiguousarray(part.elevation_m, dtype=np.float64)
        digest.update(f"{heights.shape};{part.x0_m!r};{part.y0_m!r};{part.pixel_m!r}".encode())
        digest.update(heights.tobytes())
    return digest.hexdigest()


def site_key(
    terrain_hash: str,
    site,
    *,
    start: date,
    stop: date,
    search_radius_km: float,
    mast_height_m: float = MAST_HEIGHT_M,
    n_azimuths: int = N_AZIMUTHS,
    survey_days: int = 365,
) -> str:
    """The cache key of one site stage: SHA-256 of its inputs' hashes and the stage's code."""
    inputs = {
        "code": code_fingerprint(),
        "terrain": terrain_hash,
        "site": site.model_dump(mode="json"),
        "start": str(start),
        "stop": str(stop),
        "search_radius_km": float(search_radius_km),
        "mast_height_m": float(mast_height_m),
        "n_azimuths": int(n_azimuths),
        "survey_days": int(survey_days),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class SiteCache:
    """Site-stage results on disk, one file per key; ``folder=None`` keeps nothing."""

    folder: Path | None

    def path(self, key: str) -> Path:
        return Path(self.folder) / f"site-{key}.pickle"

    def load(self, key: str) -> SiteChoice | None:
        """The stored result for ``key`` (without its terrain), or None (absent or unreadable)."""
        if self.folder is None:
            return None
        try:
            with open(self.path(key), "rb") as handle:
                stored = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None
        if not isinstance(stored, dict) or stored.get("key") != key:
            return None
        return stored["choice"]

    def store(self, key: str, choice: SiteChoice) -> Path | None:
        """Keep ``choice`` (without its terrain, which the key stands for) under ``key``."""
        if self.folder is None:
            return None
        path = self.path(key)
        with atomic_path(path) as temporary, open(temporary, "wb") as handle:
            pickle.dump({"key": key, "choice": without_terrain(choice)}, handle, protocol=5)
        return path


def without_terrain(choice: SiteChoice) -> SiteChoice:
    """``choice`` without its terrain (the heavy DEMs, which its key already stands for)."""
    return replace(choice, terrain=None)


@dataclass
class SiteChooser:
    """A drop-in for :func:`~moonbase.site.stage.choose_site` that :func:`moonbase.plan` calls
    (its ``site_chooser``): a result given in ``known`` or found in ``cache`` under the key of the
    call's inputs is used, else the stage runs and its result is stored.

    ``computed`` and ``hits`` count the stage's runs and the results reused.
    """

    cache: SiteCache
    survey_days: int = 365
    n_azimuths: int = N_AZIMUTHS
    known: dict[str, SiteChoice] = field(default_factory=dict)
    computed: int = 0
    hits: int = 0

    def key(self, site, terrain: SiteTerrain, *, start, stop, search_radius_km) -> str:
        return site_key(
            terrain_hash(terrain),
            site,
            start=start,
            stop=stop,
            search_radius_km=search_radius_km,
            n_azimuths=self.n_azimuths,
            survey_days=self.survey_days,
        )

    def __call__(self, site, terrain: SiteTerrain, *, start, stop, search_radius_km, **kwargs):
        if kwargs:  # a parameter this chooser does not key on: no reuse
            self.computed += 1
            return choose_site(
                site, terrain, start=start, stop=stop, search_radius_km=search_radius_km, **kwargs
            )
        key = self.key(site, terrain, start=start, stop=stop, search_radius_km=search_radius_km)
        found = self.known.get(key) or self.cache.load(key)
        if found is not None:
            self.hits += 1
            return replace(found, terrain=terrain)
        self.computed += 1
        choice = choose_site(
            site,
            terrain,
            start=start,
            stop=stop,
            search_radius_km=search_radius_km,
            n_azimuths=self.n_azimuths,
            survey_days=self.survey_days,
        )
        self.cache.store(key, choice)
        self.known[key] = without_terrain(choice)
        return choice


def terrain_hash(terrain: SiteTerrain) -> str:
    """:func:`terrain_fingerprint`, remembered per terrain object (a terrain is immutable)."""
    cached = _TERRAIN_HASHES.get(id(terrain))
    if cached is not None and cached[0] is terrain:
        return cached[1]
    value = terrain_fingerprint(terrain)
    _TERRAIN_HASHES[id(terrain)] = (terrain, value)
    return value


_TERRAIN_HASHES: dict[int, tuple[SiteTerrain, str]] = {}
