"""Property-based claim tests: hypothesis draws problem instances and the claims are
asserted on each at a test budget.

Instances: d in 1..6; Lambda = Q diag(eigenvalues) Q^T with eigenvalues in [0.5, 2] and a
random rotation Q; R in [0.5, 2]; the prior (antipodal, or independent for d <= 3 to keep
its 5-D quadrature cheap).  The last test shows hypothesis finds and shrinks a
counterexample to a deliberately false claim.

A true claim's property asserts PASS where the test budget decides it; where it cannot, the
share of INCONCLUSIVE verdicts over the generated instances is measured and bounded, so a
check that answered INCONCLUSIVE everywhere fails this suite
(``test_an_always_inconclusive_check_fails_the_property_suite``).
"""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from checks.context import RunContext
from checks.decision import Criterion, Verdict, at_most, claim_verdict
from checks.gaussian_mixtures import a3_minimizer, a5_inference_error
from checks.gaussian_mixtures.setting import PROFILES, SLOPE_TOLERANCE_REASON, Setting
from numerics.gaussian_mixtures.curvature import eigen_bounds, search_extreme_eigenvalue
from numerics.gaussian_mixtures.gd import gradient_descent
from numerics.gaussian_mixtures.minimizer import full_minimizer
from numerics.gaussian_mixtures.priors import TaskPrior
from numerics.gaussian_mixtures.reduced_loss import alpha_star
from numerics.gaussian_mixtures.sufficient_stats import draw_noise, sample
from numerics.rates import fit_loglog

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
    return fit_loglog(N_GRID, y, err, confidence=0.999, correction_exponent=1.0)


def a3_verdict(prior: TaskPrior) -> Verdict:
    """A3's check on the instance at the quick budget (its gating outcomes)."""
    outs = a3_minimizer.outcomes(Setting("h", prior), PROFILES["quick"], np.random.default_rng(0),
                                 RunContext(0))
    return claim_verdict([o.verdict for o in outs if o.gating])


def verdicts_over(verdict_of, strategy: SearchStrategy, examples: int) -> list[Verdict]:
    """The verdicts of ``verdict_of`` over ``examples`` hypothesis-generated instances; none
    may FAIL (a FAIL is a counterexample hypothesis shrinks).  Derandomized in every profile:
    a measured share is a property of a fixed set of instances, so its bound cannot flake."""
    seen: list[Verdict] = []

    @given(strategy)
    @settings(max_examples=examples, database=None, derandomize=True)
    def run(case) -> None:
        verdict = verdict_of(*case) if isinstance(case, tuple) else verdict_of(case)
        assert verdict is not Verdict.FAIL, case
        seen.append(verdict)

    run()
    return seen


def assert_inconclusive_share(verdict_of, strategy: SearchStrategy, examples: int,
                              most: int) -> None:
    """No FAIL over the instances, and at most ``most`` of them INCONCLUSIVE."""
    seen = verdicts_over(verdict_of, strategy, examples)
    assert seen.count(Verdict.INCONCLUSIVE) <= most, seen


@given(instances(kinds=("antipodal",)))
def test_a3_passes_on_the_antipodal_prior(prior: TaskPrior) -> None:
    """The quadrature decides every antipodal instance (d <= 6): PASS."""
    assert a3_verdict(prior) is Verdict.PASS, prior.describe()


#: measured on these 10 derandomized independent-prior instances: 5 INCONCLUSIVE, none FAIL (the
#: 5-D quadrature's points misfit the three-term series; the inflated error is Student-t on
#: 4 dof); the bound is that count plus one
A3_INDEPENDENT_EXAMPLES, A3_INDEPENDENT_MOST = 10, 6


@pytest.mark.slow  # 10 five-dimensional quadratures: 4.5 min, the suite's longest test; the quick
# run's A3 (tests/test_checks.py) decides the independent prior at the base setting in CI
def test_a3_inconclusive_share_on_the_independent_prior_is_bounded() -> None:
    assert_inconclusive_share(a3_verdict, instances(max_d=3, kinds=("independent",)),
                              A3_INDEPENDENT_EXAMPLES, A3_INDEPENDENT_MOST)


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


A5_BUDGET = replace(PROFILES["smoke"], n_grid=(32, 64, 128, 256, 512, 1024),
                    m_grid=(32, 64, 128, 256, 512, 1024), mc_size=20_000)


def a5_verdict(prior: TaskPrior, seed: int) -> Verdict:
    """A5's claim verdict (its gating outcomes) on the instance at the test budget."""
    outs = a5_inference_error.outcomes(Setting("h", prior), A5_BUDGET, np.random.default_rng(seed),
                                       RunContext(seed))
    return claim_verdict([o.verdict for o in outs if o.gating])


#: measured on these 12 derandomized instances: 10 INCONCLUSIVE, none FAIL (other draws: 7 and
#: 5 of 12).  On common random numbers E[TV](N, M = inf) is nearly a deterministic function of
#: alpha(N), so the two-term 1/N series misfits it by Birge ratios of 10^3 and the Student-t
#: interval on 2 residual dof is wide: a shortfall of A5's N-fit at this budget, not a bound
#: to be proud of.  The bound is that count plus one
A5_EXAMPLES, A5_MOST = 12, 11


def test_a5_tv_decreases_at_claimed_rates() -> None:
    assert_inconclusive_share(a5_verdict, st.tuples(instances(max_d=4), st.integers(0, 2**31)),
                              A5_EXAMPLES, A5_MOST)


def test_an_always_inconclusive_check_fails_the_property_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each true claim's property fails when every rule of the decision layer answers
    INCONCLUSIVE (the checks themselves run; only their verdicts are withheld).  (The antipodal
    A3 property asserts PASS outright; hypothesis shrinking its failure costs a minute.)"""
    monkeypatch.setattr(Criterion, "decide", lambda self, lo, hi: Verdict.INCONCLUSIVE)
    cheap = instances(max_d=1, kinds=("antipodal",))
    for test in (lambda: assert_inconclusive_share(a3_verdict, cheap, 2, 1),
                 lambda: assert_inconclusive_share(a5_verdict, st.tuples(cheap, st.just(0)), 2, 1)):
        with pytest.raises(AssertionError):
            test()


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
    # shrunk to one dimension; the floats shrink towards hypothesis' simplest (1.0) only as far
    # as the Student-t interval still FAILs the false claim there (R = 1 leaves it undecided)
    assert shrunk.d == 1 and shrunk.kind == "antipodal"
    assert claim_fails(shrunk)
