"""Hourly solar profiles from sun geometry (gigawatt.solar): night is dark, the year
averages the cited capacity factor, winter days are shorter further north, and the
representative days keep the worst day and weigh up to a year."""

from __future__ import annotations

import numpy as np
import pytest

from gigawatt.errors import ValidationError
from gigawatt.solar import hourly_capacity_factor, representative_days

WINTER, SUMMER = 354, 171  # 21 December and 21 June, 0-based day of year


@pytest.mark.parametrize("tracking", [True, False])
@pytest.mark.parametrize("lat, cf", [(32.4, 0.27), (42.2, 0.18), (-30.0, 0.25)])
def test_mean_equals_the_annual_capacity_factor(lat, cf, tracking):
    prof = hourly_capacity_factor(lat, cf, tracking=tracking)
    assert prof.shape == (365, 24)
    assert prof.mean() == pytest.approx(cf, rel=1e-9)
    assert prof.min() >= 0.0 and prof.max() <= 1.0


@pytest.mark.parametrize("tracking", [True, False])
def test_night_is_zero_and_the_day_is_symmetric_about_solar_noon(tracking):
    prof = hourly_capacity_factor(35.0, 0.25, tracking=tracking)
    assert (prof[:, :4] == 0).all() and (prof[:, 21:] == 0).all()
    assert (prof[:, 11] > 0).all()
    assert np.allclose(prof, prof[:, ::-1])
    assert (prof[:, 11] > prof[:, 6]).all()


def test_higher_latitude_has_shorter_winter_days_and_longer_summer_days():
    south, north = hourly_capacity_factor(30.0, 0.25), hourly_capacity_factor(45.0, 0.25)
    lit = lambda p, d: int((p[d] > 0).sum())  # noqa: E731
    assert lit(north, WINTER) < lit(south, WINTER)
    assert lit(north, SUMMER) > lit(south, SUMMER)
    # and winter carries a smaller share of the year's energy further north
    share = lambda p: p[WINTER].sum() / p.sum(axis=1).mean()  # noqa: E731
    assert share(north) < share(south)


def test_southern_hemisphere_winter_is_in_june():
    prof = hourly_capacity_factor(-35.0, 0.25)
    assert prof[SUMMER].sum() < prof[WINTER].sum()


def test_tracking_gives_a_flatter_day_than_a_fixed_array():
    track, fixed = hourly_capacity_factor(32.0, 0.25), hourly_capacity_factor(32.0, 0.25,
                                                                              tracking=False)
    # same energy, spread over more hours: more output in the shoulder hours
    assert track[SUMMER, 7] > fixed[SUMMER, 7]


def test_deterministic():
    assert np.array_equal(hourly_capacity_factor(33.3, 0.22), hourly_capacity_factor(33.3, 0.22))


@pytest.mark.parametrize("n", [1, 2, 6, 12, 365])
def test_representative_days_weigh_a_year_and_keep_the_worst_day(n):
    prof = hourly_capacity_factor(41.2, 0.19)
    days, weights = representative_days(prof, n)
    assert days.shape == (n, 24) and weights.shape == (n,)
    assert weights.sum() == pytest.approx(365.0)
    worst = prof[prof.sum(axis=1).argmin()]
    assert np.allclose(days[0], worst)
    assert days.sum(axis=1).min() == pytest.approx(worst.sum())
    if n > 1:  # the weighted days keep the year's energy
        assert (days * weights[:, None]).sum() == pytest.approx(prof.sum())


def test_bad_inputs_are_named():
    with pytest.raises(ValidationError, match="latitude"):
        hourly_capacity_factor(80.0, 0.2)
    with pytest.raises(ValidationError, match="solar_capacity_factor"):
        hourly_capacity_factor(30.0, 0.0)
    with pytest.raises(ValidationError, match="n_days"):
        representative_days(hourly_capacity_factor(30.0, 0.2), 0)
    with pytest.raises(ValidationError, match="shape"):
        representative_days(np.zeros((365, 12)), 4)
