"""DE421 positions and the lunar orientation, loaded once from the pinned kernels.

* Positions: ``de421.bsp`` (``skyfield-data``) segments SSB->Sun, SSB->EMB, EMB->Moon, EMB->Earth.
* Orientation: ``moon_pa_de421_1900-2050.bpc`` (``lunarsky``), Euler angles (phi, theta, psi) of
  the MOON_PA_DE421 frame, so that ``R(J2000 -> PA) = R3(psi) R1(theta) R3(phi)``; and the fixed
  PA -> ME rotation from the ``TKFRAME_31007`` angles of ``moon_080317.tf``.

Rotation matrices here are *frame* rotations: they map a vector's components in the first frame
to its components in the second (SPICE's ``pxform`` convention).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from jplephem.pck import PCK
from jplephem.spk import SPK
from numba import njit, prange
from skyfield.data import text_pck

from moonbase.constants import DAY_S, J2000_JD
from moonbase.datastore import locate
from moonbase.ephemeris.chebyshev import ChebyshevSegment
from moonbase.errors import OutOfRangeError

__all__ = ["LunarEphemeris", "frame_rotation", "lunar_ephemeris"]

_ARCSEC = np.pi / (180.0 * 3600.0)
_FRAMES = ("ME", "PA")


def frame_rotation(axis: int, angle_rad: np.ndarray | float) -> np.ndarray:
    """SPICE-style frame rotation ``[angle]_axis`` (axis 1, 2 or 3); shape ``angle.shape + (3, 3)``."""
    angle = np.asarray(angle_rad, dtype=float)
    c, s = np.cos(angle), np.sin(angle)
    zero, one = np.zeros_like(angle), np.ones_like(angle)
    i, j = {1: (1, 2), 2: (2, 0), 3: (0, 1)}[axis]
    k = 3 - i - j
    m = np.empty(angle.shape + (3, 3))
    m[..., k, k] = one
    m[..., k, i] = m[..., k, j] = m[..., i, k] = m[..., j, k] = zero
    m[..., i, i] = m[..., j, j] = c
    m[..., i, j] = s
    m[..., j, i] = -s
    return m


@njit(parallel=True, cache=True)
def _euler_313(angles, offset, out):  # pragma: no cover - compiled
    """``out[n] = offset @ R3(psi) R1(theta) R3(phi)`` for Euler angles ``(phi, theta, psi)[:, n]``."""
    for n in prange(angles.shape[1]):
        sf, cf = np.sin(angles[0, n]), np.cos(angles[0, n])
        st, ct = np.sin(angles[1, n]), np.cos(angles[1, n])
        sp, cp = np.sin(angles[2, n]), np.cos(angles[2, n])
        r00, r01, r02 = cp * cf - sp * ct * sf, cp * sf + sp * ct * cf, sp * st
        r10, r11, r12 = -sp * cf - cp * ct * sf, -sp * sf + cp * ct * cf, cp * st
        r20, r21, r22 = st * sf, -st * cf, ct
        for i in range(3):
            a, b, c = offset[i, 0], offset[i, 1], offset[i, 2]
            out[n, i, 0] = a * r00 + b * r10 + c * r20
            out[n, i, 1] = a * r01 + b * r11 + c * r21
            out[n, i, 2] = a * r02 + b * r12 + c * r22


def _tkframe_matrix(variables: dict, frame_id: int) -> np.ndarray:
    """Fixed rotation RELATIVE -> this frame for a ``TKFRAME_<id>_SPEC = 'ANGLES'`` frame."""
    prefix = f"TKFRAME_{frame_id}_"
    if variables[prefix + "SPEC"] != "ANGLES" or variables[prefix + "UNITS"] != "ARCSECONDS":
        raise ValueError(f"frame {frame_id}: only ANGLES in ARCSECONDS are supported")
    matrix = np.eye(3)
    for angle, axis in zip(variables[prefix + "ANGLES"], variables[prefix + "AXES"], strict=True):
        # SPICE frames required reading: M = [angle_1]_axis_1 [angle_2]_axis_2 [angle_3]_axis_3
        # maps vectors from this frame to the RELATIVE frame; we want RELATIVE -> this frame.
        matrix = matrix @ frame_rotation(int(axis), float(angle) * _ARCSEC)
    return matrix.T


@dataclass(frozen=True, eq=False)
class LunarEphemeris:
    """Chebyshev segments of DE421 and the DE421 lunar orientation; km, km/s, radians."""

    sun: ChebyshevSegment
    emb: ChebyshevSegment
    moon_from_emb: ChebyshevSegment
    earth_from_emb: ChebyshevSegment
    moon_pa_angles: ChebyshevSegment
    me_from_pa: np.ndarray

    @property
    def start_s(self) -> float:
        """First TDB second past J2000 covered by every kernel."""
        return max(s.start_s for s in self._segments())

    @property
    def stop_s(self) -> float:
        """Last TDB second past J2000 covered by every kernel."""
        return min(s.stop_s for s in self._segments())

    def _segments(self):
        return (self.sun, self.emb, self.moon_from_emb, self.earth_from_emb, self.moon_pa_angles)

    def coverage_utc(self) -> tuple[str, str]:
        """Covered span as ISO dates (TDB, to the day)."""
        from moonbase.time import timescale

        ts = timescale()
        return tuple(
            ts.tdb_jd(J2000_JD + s / DAY_S).tdb_strftime("%Y-%m-%d")
            for s in (self.start_s, self.stop_s)
        )

    def check_coverage(self, et_s: np.ndarray, *, field: str = "time") -> None:
        """Raise :class:`OutOfRangeError` if any epoch falls outside the kernels."""
        et_s = np.asarray(et_s)
        outside = (et_s < self.start_s) | (et_s > self.stop_s)
        if np.any(outside):
            first, last = self.coverage_utc()
            raise OutOfRangeError(
                f"{int(outside.sum())} of {outside.size} times fall outside the ephemeris span "
                f"{first} to {last} (DE421 with the MOON_PA_DE421 orientation kernel)",
                field=field,
                hint="choose times between 1900-01-01 and 2050-12-31",
                out_of_range=outside,
            )

    def state(self, body: str, et_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Barycentric (SSB) position ``(3, N)`` km and velocity km/s of ``sun``, ``earth`` or ``moon``."""
        if body == "sun":
            return self.sun.evaluate(et_s)
        emb_r, emb_v = self.emb.evaluate(et_s)
        if body == "earth":
            r, v = self.earth_from_emb.evaluate(et_s)
        elif body == "moon":
            r, v = self.moon_from_emb.evaluate(et_s)
        else:
            raise ValueError(f"unknown body {body!r}; choose 'sun', 'earth' or 'moon'")
        return emb_r + r, emb_v + v

    def rotation(self, et_s: np.ndarray, frame: str = "ME") -> np.ndarray:
        """Frame rotations J2000 -> MOON_ME (or MOON_PA) at each epoch, shape ``(N, 3, 3)``."""
        if frame not in _FRAMES:
            raise ValueError(f"unknown lunar frame {frame!r}; choose 'ME' or 'PA'")
        angles, _ = self.moon_pa_angles.evaluate(et_s)
        offset = np.eye(3) if frame == "PA" else self.me_from_pa
        out = np.empty((angles.shape[1], 3, 3))
        _euler_313(angles, offset, out)
        return out


def _seconds(jd: float) -> float:
    return (jd - J2000_JD) * DAY_S


def _spk_segment(kernel: SPK, center: int, target: int) -> ChebyshevSegment:
    segment = kernel[center, target]
    init_s, interval_s, coefficients = segment._data
    return ChebyshevSegment.from_jplephem(
        init_s, interval_s, coefficients, _seconds(segment.start_jd), _seconds(segment.end_jd)
    )


@lru_cache(maxsize=1)
def lunar_ephemeris() -> LunarEphemeris:
    """Load (once per process) the DE421 segments and lunar orientation moonbase uses."""
    spk = SPK.open(str(locate("de421.bsp")))
    pck = PCK.open(str(locate("moon_pa_de421_1900-2050.bpc")))
    try:
        (pa_segment,) = [s for s in pck.segments if s.body == 31006]
        pa = ChebyshevSegment.from_jplephem(
            *pa_segment._load(), _seconds(pa_segment.initial_jd), _seconds(pa_segment.final_jd)
        )
        with open(locate("moon_080317.tf"), "rb") as handle:
            variables: dict = {}
            text_pck.load(handle, variables)
        return LunarEphemeris(
            sun=_spk_segment(spk, 0, 10),
            emb=_spk_segment(spk, 0, 3),
            moon_from_emb=_spk_segment(spk, 3, 301),
            earth_from_emb=_spk_segment(spk, 3, 399),
            moon_pa_angles=pa,
            me_from_pa=_tkframe_matrix(variables, 31007),
        )
    finally:
        spk.close()
        pck.close()
