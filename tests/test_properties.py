"""Property-based claim tests: hypothesis draws problem instances and the claims are
asserted on each at a test budget.

Instances: d in 1..6; Lambda = Q diag(eigenvalues) Q^T with eigenvalues in [0.5, 2] and a
random rotation Q; R in [0.5, 2]; the prior (antipodal, or independent for d <= 3 to keep
its 5-D quadrature cheap).  The last test shows hypothesis finds and shrinks a
counterexample to a deliberately false claim.
"""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from checks import a5_inference_error
from checks.decision import Verdict, at_most
from checks.setting import PROFILES, SLOPE_TOLERANCE_REASON, Setting
from numerics.curvature import eigen_bounds, search_extreme_eigenvalue
from numerics.gd import gradient_descent
from numerics.minimizer import full_minimizer
from numerics.priors import TaskPrior
from numerics.rates import fit_loglog
from numerics.reduced_loss import alpha_star
from numerics.sufficient_stats import draw_noise, sample

N_GRID = np.array([64.0, 128.0, 256.0, 512.0, 1024.0])


@st.composite
def instances(draw, max_d: int = 6, kinds: tuple[str, ...] = ("antipodal", "independent")
              ) -> TaskPrior:
    d = draw(st.integers(1, max_d))
    eig = draw(st.lists(st.floats(0.5, 2.0), min_size=d, max_size=d))
    q, _ = np.linalg.qr(np.random.default_rng(draw(st.integers(0, 2**31))).standard_normal((d, d)))
    kind = draw(st.sampled_from(kinds)) if d <= 3 else "antipodal"
    return TaskPrior(d=d, kind=kind, snr=draw(st.floats(0.5, 2.0)),
                     cov=(q * np.array(eig)) @ q.T)


def g_slope(prior: TaskPrior):
    """Fitted asymptotic slope of |alpha(N) - 2| on N_GRID (quadrature)."""
    stars = [alpha_star(prior, n) for n in N_GRID]
    y = np.array([abs(s.alpha - 2) for s in stars])
    err = np.array([max(s.error, 1e-15) for s in stars])
    return fit_loglog(N_GRID, y, err, confidence=0.999, correction_exponent=1.0, deterministic=True)


@given(instances())
def test_a3_alpha_converges_like_one_over_n(prior: TaskPrior) -> None:
    fit = g_slope(prior)
    assert at_most(-1.0, 0.1, SLOPE_TOLERANCE_REASON).decide(*fit.ci) is not Verdict.FAIL, \
        fit.table("N", "|alpha-2|")


@given(instances(max_d=4), st.integers(0, 2**31))
@settings(max_examples=4)
def test_a1_hessian_positive_on_ball(prior: TaskPrior, seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = prior.d
    search = sample(prior, draw_noise(rng, 3000, d), 32)
    held = sample(prior, draw_noise(rng, 20000, d), 32)
    found = search_extreme_eigenvalue(search, np.zeros((d, d)), 2.0, rng, steps=15)
    bounds = eigen_bounds(held, found.w, found.eigenvector, 0.999)
    assert bounds.lower > 0, bounds


@given(instances(max_d=4), st.integers(0, 2**31))
@settings(max_examples=4)
def test_a2_gd_bound_holds(prior: TaskPrior, seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = prior.d
    train = sample(prior, draw_noise(rng, 4000, d), 32)
    star = full_minimizer(train)
    radius = float(np.linalg.norm(star.w))
    alpha = search_extreme_eigenvalue(train, star.w, radius, rng, "min", steps=15).value
    ell = search_extreme_eigenvalue(train, star.w, radius, rng, "max", steps=15).value
    eta = 1 / ell
    err = np.linalg.norm((gradient_descent(train, np.zeros((d, d)), eta, 30) - star.w)
                         .reshape(31, -1), axis=1)
    bound = (1 - eta * alpha) ** np.arange(31) * err[0]
    assert np.all(err <= bound * (1 + 1e-9))


@given(instances(max_d=4), st.integers(0, 2**31))
@settings(max_examples=4)
def test_a5_tv_decreases_at_claimed_rates(prior: TaskPrior, seed: int) -> None:
    budget = replace(PROFILES["smoke"], n_grid=(32, 64, 128, 256, 512, 1024),
                     m_grid=(32, 64, 128, 256, 512, 1024), mc_size=20_000)
    outs = a5_inference_error.outcomes(Setting("h", prior), budget, np.random.default_rng(seed))
    for o in outs:
        assert o.verdict is not Verdict.FAIL, (o.name, o.statistic, o.uncertainty)


def test_hypothesis_falsifies_and_shrinks_a_false_rate_claim() -> None:
    """The false claim max|G| = O(1/N^2): hypothesis finds an instance where the check
    FAILs it, and shrinks it to the simplest one."""

    def claim_fails(prior: TaskPrior) -> bool:
        return at_most(-2.0, 0.1, SLOPE_TOLERANCE_REASON).decide(*g_slope(prior).ci) is Verdict.FAIL

    # antipodal only and no "explain" phase: each candidate costs a quadrature per N
    shrunk = find(instances(kinds=("antipodal",)), claim_fails,
                  settings=settings(max_examples=50, database=None,
                                    phases=[Phase.generate, Phase.shrink]))
    print("shrunk counterexample:", shrunk.describe())
    # shrunk to the smallest instance: one dimension, floats at hypothesis' simplest (1.0)
    assert shrunk.d == 1 and shrunk.kind == "antipodal"
    assert shrunk.snr == pytest.approx(1.0) and shrunk.cov[0, 0] == pytest.approx(1.0)
