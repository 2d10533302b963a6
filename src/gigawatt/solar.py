"""Hourly solar PV output from sun geometry, scaled to a cited annual capacity factor.

The planner dispatches solar and batteries over representative days, so it needs the
shape of a PV plant's output over the day and the year, not only its annual average.
:func:`hourly_capacity_factor` builds that shape from solar geometry alone (declination,
hour angle, elevation; a clear-sky beam model with air mass; a horizontal north-south
single-axis tracker or a south-facing fixed array at latitude tilt), then scales it so
its mean equals the site's annual capacity factor, which carries the weather. Night is
exactly zero. :func:`representative_days` reduces the 365 days to a handful with
weights, always keeping the lowest-energy day so that firmness is tested on the worst
day.

Formulas: declination (Cooper 1969), hour angle and zenith angle, tracker incidence
angle for a horizontal N-S axis with continuous E-W tracking (Duffie & Beckman, *Solar
Engineering of Thermal Processes*, sec. 1.7), Kasten-Young air mass and Meinel's
clear-sky beam attenuation 0.7^(AM^0.678).
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ValidationError

DAYS = 365
HOURS = 24
#: solar constant, W/m2
SOLAR_CONSTANT_W_M2 = 1367.0
#: diffuse share added to the plane of array, as a fraction of extraterrestrial beam
#: on a clear day (about 10% of global horizontal on clear days)
DIFFUSE_FRACTION = 0.1


def _check(latitude_deg: float, annual_cf: float) -> None:
    if not (isinstance(latitude_deg, (int, float)) and math.isfinite(latitude_deg)
            and -66.0 <= latitude_deg <= 66.0):
        raise ValidationError(f"{latitude_deg!r} is out of range; allowed: -66 to 66 "
                              "degrees (no polar day or night)", field="latitude_deg")
    if not (isinstance(annual_cf, (int, float)) and math.isfinite(annual_cf)
            and 0.0 < annual_cf <= 0.4):
        raise ValidationError(f"{annual_cf!r} is out of range; allowed: > 0 and <= 0.4",
                              field="solar_capacity_factor")


def _geometry(latitude_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cos(zenith), declination and hour angle (radians) at mid-hour of each day x hour
    in local solar time."""
    day = np.arange(1, DAYS + 1, dtype=float)[:, None]
    hour = np.arange(HOURS, dtype=float)[None, :] + 0.5
    decl = np.radians(23.45) * np.sin(2.0 * np.pi * (284.0 + day) / DAYS)
    omega = np.radians(15.0 * (hour - 12.0))
    phi = math.radians(latitude_deg)
    cos_z = math.sin(phi) * np.sin(decl) + math.cos(phi) * np.cos(decl) * np.cos(omega)
    return cos_z, np.broadcast_to(decl, cos_z.shape), np.broadcast_to(omega, cos_z.shape)


def _plane_of_array(latitude_deg: float, tracking: bool) -> np.ndarray:
    """Clear-sky irradiance on the array, W/m2, shape (365, 24); 0 with the sun down."""
    cos_z, decl, omega = _geometry(latitude_deg)
    up = cos_z > 0.0
    zen_deg = np.degrees(np.arccos(np.clip(cos_z, -1.0, 1.0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        air_mass = np.where(up, 1.0 / (cos_z + 0.50572 * (96.07995 - zen_deg) ** -1.6364),
                            np.inf)
    day = np.arange(1, DAYS + 1, dtype=float)[:, None]
    extra = SOLAR_CONSTANT_W_M2 * (1.0 + 0.033 * np.cos(2.0 * np.pi * day / DAYS))
    beam = np.where(up, extra * 0.7 ** (air_mass ** 0.678), 0.0)
    if tracking:  # horizontal N-S axis, continuous E-W tracking
        cos_i = np.sqrt(cos_z ** 2 + (np.cos(decl) * np.sin(omega)) ** 2)
    else:  # south-facing (north-facing in the south) at latitude tilt
        cos_i = np.cos(decl) * np.cos(omega)
    direct = beam * np.clip(cos_i, 0.0, None)
    diffuse = DIFFUSE_FRACTION * extra * np.clip(cos_z, 0.0, None)
    return np.where(up, direct + diffuse, 0.0)


def hourly_capacity_factor(latitude_deg: float, annual_cf: float,
                           tracking: bool = True) -> np.ndarray:
    """Hourly AC capacity factor of a PV plant over a year, shape (365, 24).

    Parameters
    ----------
    latitude_deg : site latitude, degrees north (south negative), within +-66.
    annual_cf : the cited annual AC capacity factor of such a plant at the site.
    tracking : single-axis tracker (True) or fixed array at latitude tilt.

    Returns
    -------
    Array (day of year, hour of local solar time) in [0, 1]; zero with the sun down; its
    mean equals ``annual_cf``. Output above nameplate is clipped at 1 (the inverter
    limit) and the rest rescaled, so the mean still matches.
    """
    _check(latitude_deg, annual_cf)
    shape = _plane_of_array(float(latitude_deg), bool(tracking))
    cf = shape * (annual_cf / shape.mean())
    for _ in range(50):  # clipping at the inverter: rescale the unclipped hours
        over = cf > 1.0
        if not over.any():
            break
        cf = np.minimum(cf, 1.0)
        free = (cf < 1.0) & (cf > 0.0)
        deficit = annual_cf * cf.size - cf.sum()
        cf[free] *= 1.0 + deficit / cf[free].sum()
    return cf


def representative_days(cf: np.ndarray, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """A handful of weighted days standing for the year, including its worst day.

    The days are sorted by daily energy; the lowest-energy day is kept on its own
    (weight 1) and the other 364 are split into ``n_days - 1`` groups of consecutive
    energy rank, each represented by its mean profile and weighted by its size. So the
    weighted mean of the profiles equals the year's mean and firmness is checked on the
    worst day. With ``n_days == 1`` the worst day alone stands for the year (weight 365),
    a conservative reduction.

    Parameters
    ----------
    cf : hourly capacity factors, shape (365, 24) (from :func:`hourly_capacity_factor`).
    n_days : number of representative days, 1 to 365.

    Returns
    -------
    (profiles shape (n_days, 24), weights shape (n_days,) summing to 365), worst day
    first, then the groups from low to high energy.
    """
    cf = np.asarray(cf, dtype=float)
    if cf.ndim != 2 or cf.shape[1] != HOURS or cf.shape[0] < 1:
        raise ValidationError(f"hourly profile has shape {cf.shape}; allowed: (days, 24)",
                              field="cf")
    days = cf.shape[0]
    if not (isinstance(n_days, (int, np.integer)) and 1 <= n_days <= days):
        raise ValidationError(f"{n_days!r} is out of range; allowed: an integer from 1 "
                              f"to {days}", field="n_days")
    order = np.argsort(cf.sum(axis=1), kind="stable")
    worst = cf[order[0]][None, :]
    if n_days == 1:
        return worst.copy(), np.array([float(days)])
    groups = np.array_split(order[1:], n_days - 1)
    profiles = np.vstack([worst] + [cf[g].mean(axis=0)[None, :] for g in groups])
    weights = np.array([1.0] + [float(len(g)) for g in groups])
    return profiles, weights
