"""E[TV] of the antipodal law by quadrature (:mod:`numerics.gaussian_mixtures.tv_quadrature`)
against the Monte Carlo E[TV] it replaces on A5's axes (z-tests at alpha = 1e-3, 4e5 draws;
the Monte Carlo estimator is itself tested against the explicit prompts in test_tv.py), and
its error estimates against a finer rule."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from numerics.gaussian_mixtures.priors import TaskPrior, toeplitz_cov
from numerics.gaussian_mixtures.sufficient_stats import draw_noise
from numerics.gaussian_mixtures.tv import tv_per_sample
from numerics.gaussian_mixtures.tv_quadrature import _tv_alpha_2, antipodal_tv

ALPHA = 1e-3


@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("alpha,m", [(1.9, math.inf), (2.1, math.inf), (2.0, 16), (2.0, 4096)])
def test_quadrature_is_the_monte_carlo_mean(d: int, alpha: float, m: float) -> None:
    prior = TaskPrior(d=d, snr=1.5, cov=toeplitz_cov(d) if d > 1 else None)
    value, error = antipodal_tv(prior, alpha, m)
    mc = tv_per_sample(prior, draw_noise(np.random.default_rng(d), 400_000, d), m, alpha * prior.precision)
    z = (mc.mean() - value) / (mc.std(ddof=1) / math.sqrt(mc.size))
    assert abs(z) < stats.norm.ppf(1 - ALPHA / 2)
    assert error < 1e-9 * value


@pytest.mark.parametrize("d", [2, 8])
def test_error_estimate_bounds_a_finer_rule(d: int) -> None:
    prior = TaskPrior(d=d)
    value, error = antipodal_tv(prior, 2.0, 64)
    assert abs(_tv_alpha_2(1.0, d, 64, 128) - value) <= max(error, 1e-14)


def test_refuses_what_does_not_reduce() -> None:
    with pytest.raises(ValueError, match="prior"):
        antipodal_tv(TaskPrior(d=3, minus_scale=0.5), 2.0, math.inf)
    with pytest.raises(ValueError, match="alpha"):
        antipodal_tv(TaskPrior(d=3), 2.1, 64)
