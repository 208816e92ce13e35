"""The binary constants (:mod:`numerics.gaussian_mixtures.constants`) over the whole range of R,
against references that share none of their reduction: each expectation of SPEC §C.2's X0 and Q
integrated as written (mpmath, 40 digits, or nested QUADPACK), with only the N(M, M) density
rewritten as ``e^(-M/2) e^(x - x^2/2M) / sqrt(2 pi M)`` so that the quadrature's absolute
tolerance sees O(1) values.  Each stated error must bound the distance to the reference; where
C_N and C_M leave double precision the refusal must name their size correctly.
"""

from __future__ import annotations

import math
import re
import warnings

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

from checks import cli
from numerics.config import NotComputable
from numerics.gaussian_mixtures import constants as constants_module
from numerics.gaussian_mixtures.asymptotics import Resolution
from numerics.gaussian_mixtures.class_constants import class_constants
from numerics.gaussian_mixtures.constants import constants
from numerics.gaussian_mixtures.priors import MixturePrior, TaskPrior
from theory.gaussian_mixtures.losses import derivatives_fn
from theory.gaussian_mixtures.tv_constants import first_order_in_alpha, integrands


def _digits(big_r: float) -> int:
    """mpmath's working precision: the direct numerator of g1 cancels to O(R^-4) of its terms
    at d = 3 (1e-32 at R = 1e8), so 4 log10 R digits are lost; 25 are kept."""
    return 25 + max(0, math.ceil(4 * math.log10(big_r)))


def _sigma_prime(t):
    return 1 / (4 * mp.cosh(t / 2) ** 2)


def _scaled_expectation(f, m2):
    """``e^(M/2) E f(X0)``, X0 ~ N(M, M), with breakpoints where the integrand lives: near
    X0 = 0 (sigma'(2 X0)) and around the mean."""
    m2 = mp.mpf(m2)
    sd = mp.sqrt(m2)
    points = {0, -1, 1, -3, 3, -6, 6, -10, 10, -20, 20, -30, 30, 45, 60, 80, -80}
    points |= {m2 + k * sd for k in (-12, -4, -1, 0, 1, 4, 12)}
    lo, hi = min(-80, m2 - 12 * sd), max(80, m2 + 12 * sd)
    density = lambda x: mp.exp(x - x * x / (2 * m2)) / mp.sqrt(2 * mp.pi * m2)  # noqa: E731
    return mp.quad(lambda x: f(x) * density(x), sorted(p for p in points if lo <= p <= hi), maxdegree=14)


def _antipodal_reference(d: int, big_r: float) -> dict[str, mp.mpf]:
    """g1 and log C_N (and log C_M at d = 1, 3) for the antipodal prior: M = R^2, P = 0, so
    ``E[Q | X0] = X0^2/M + d - 1``, and at d = 3 ``E sqrt(a^2 + V) = |a| + sqrt(pi/2)
    erfcx(|a|/sqrt 2)`` (V ~ chi-square(2), exponential: integrate by parts)."""
    with mp.workdps(_digits(big_r)):
        m2 = mp.mpf(big_r) ** 2
        q = lambda x: x * x / m2 + d - 1  # noqa: E731
        # h''(2x) = sigma'(2x), h'''(2x) = -sigma'(2x) tanh x: E[h''Q] + E[X0 h'''Q] in one integrand
        num = _scaled_expectation(lambda x: _sigma_prime(2 * x) * q(x) * (1 - x * mp.tanh(x)), m2)
        den = _scaled_expectation(lambda x: x * x * _sigma_prime(2 * x), m2)
        g1 = -2 * num / den
        out = {"g1": g1,
               "log_tv_n": mp.log(abs(g1) * _scaled_expectation(lambda x: abs(x) * _sigma_prime(2 * x), m2))
               - m2 / 2}
        if d in (1, 3):
            def root(a):
                if d == 1:
                    return abs(a)
                return abs(a) + mp.sqrt(mp.pi / 2) * mp.exp(a * a / 2) * mp.erfc(abs(a) / mp.sqrt(2))
            m_part = _scaled_expectation(lambda x: root(x / mp.sqrt(m2)) * _sigma_prime(2 * x), m2)
            out["log_tv_m"] = mp.log(2 * mp.sqrt(2 / mp.pi) * m_part) - m2 / 2
        return out


def test_the_tilt_and_the_integration_by_parts_are_identities() -> None:
    """The two steps of :mod:`numerics.gaussian_mixtures.asymptotics`' reduction, symbolically:
    ``e^x sigma'(2x) = (1 + tanh x) / (4 cosh x)`` (the tilt) and ``(1 - z tanh z) sech z =
    (z sech z)'`` (g1's numerator by parts), with sigma'(2x) from the theory's first-order term."""
    u = first_order_in_alpha().free_symbols.pop()
    sigma_prime_2u = first_order_in_alpha() / u
    tilt = sp.exp(u) * sigma_prime_2u - (1 + sp.tanh(u)) / (4 * sp.cosh(u))
    assert sp.simplify(tilt.rewrite(sp.exp)) == 0
    z = sp.Symbol("z", real=True)
    assert sp.simplify(sp.diff(z / sp.cosh(z), z) - (1 - z * sp.tanh(z)) / sp.cosh(z)) == 0


ANTIPODAL = [(3, 0.1), (3, 1.0), (3, 3.0), (3, 10.0), (3, 30.0), (1, 1.0), (1, 30.0), (2, 3.0), (8, 10.0)]


@pytest.mark.parametrize("d,big_r", ANTIPODAL)
def test_antipodal_constants_against_mpmath(d: int, big_r: float) -> None:
    """Each stated error bounds the distance to a reference of 25 correct digits, and is itself
    small (the answer is informative: 1e-9 of the value at most)."""
    k = constants(TaskPrior(d=d, snr=big_r))
    ref = _antipodal_reference(d, big_r)
    pairs = [(k.g1, ref["g1"]), (k.tv_n, mp.exp(ref["log_tv_n"]))]
    if "log_tv_m" in ref:
        pairs.append((k.tv_m, mp.exp(ref["log_tv_m"])))
    for constant, exact in pairs:
        assert abs(constant.value - float(exact)) <= constant.error, (constant, exact)
        assert constant.error <= 1e-9 * abs(constant.value)


def _antipodal_c_m_by_quadpack(d: int, big_r: float) -> float:
    """C_M = 2 sqrt(2/pi) E[sqrt(Q) sigma'(2 X0)] for the antipodal prior by nested QUADPACK:
    ``E[sqrt Q | X0] = E sqrt(X0^2/M + S^2)``, S ~ chi(d - 1) (V = w_b^2 + r, P = 0), inside; X0
    outside, with the scaled N(M, M) density and C_M's integrand from
    :mod:`theory.gaussian_mixtures.tv_constants` (``f_M(u, Q)``, linear in sqrt Q)."""
    _, f_m = integrands()
    k, m2 = d - 1, big_r**2
    log_norm = (k / 2 - 1) * math.log(2) + math.lgamma(k / 2)

    def root(a: float) -> float:
        chi = lambda s: math.sqrt(a * a + s * s) * math.exp((k - 1) * math.log(s) - s * s / 2 - log_norm)  # noqa: E731
        return integrate.quad(chi, 0, 40, epsabs=0, epsrel=1e-12, limit=200)[0]

    reach = min(60.0, 40 * math.sqrt(m2))
    value = integrate.quad(lambda x: float(f_m(x, root(x / math.sqrt(m2)) ** 2))
                           * math.exp(x - x * x / (2 * m2)) / math.sqrt(2 * math.pi * m2),
                           -reach, reach, points=[0.0], epsabs=0, epsrel=1e-11, limit=400)[0]
    return value * math.exp(-m2 / 2)


@pytest.mark.parametrize("d,big_r", [(2, 1.0), (5, 3.0), (2, 10.0)])
def test_antipodal_c_m_against_nested_quadpack(d: int, big_r: float) -> None:
    """The dimensions whose sqrt Q has no closed form here (the Laplace-transform root of
    :mod:`numerics.gaussian_mixtures.constants`); tolerance: the stated error plus the
    reference's nested tolerances (1e-12 inside, 1e-11 outside)."""
    k = constants(TaskPrior(d=d, snr=big_r))
    exact = _antipodal_c_m_by_quadpack(d, big_r)
    assert abs(k.tv_m.value - exact) <= k.tv_m.error + 1e-10 * exact, (k.tv_m, exact)


@pytest.mark.parametrize("d,big_r", [(3, 40.0), (3, 1e4), (3, 1e8), (8, 1e8), (1, 1e3)])
def test_beyond_double_precision_the_refusal_names_the_sizes(d: int, big_r: float) -> None:
    """C_N and C_M below the smallest double: refused, with log10 of each (10 significant digits)
    and g1 within its error of the reference."""
    ref = _antipodal_reference(d, big_r)
    with pytest.raises(NotComputable) as refusal:
        constants(TaskPrior(d=d, snr=big_r))
    message = str(refusal.value)
    logs = {name: float(value) for name, value in re.findall(r"(C_[NM]) = 10\^(\S+)", message)}
    assert set(logs) == {"C_N", "C_M"}
    for name, key in (("C_N", "log_tv_n"), ("C_M", "log_tv_m")):
        if key in ref:
            exact = float(ref[key] / mp.log(10))
            # printed to 10 significant digits; the log-space weights round at 1 ulp of M/2
            assert logs[name] == pytest.approx(exact, rel=1e-9, abs=1e-9), (name, logs[name], exact)
    g1, error = map(float, re.search(r"g1 = (\S+) ± (\S+)\)", message).groups())
    assert abs(g1 - float(ref["g1"])) <= error + 1e-11 * abs(g1)  # g1 printed to 12 digits


def _independent_reference(d: int, big_r: float) -> dict[str, float]:
    """g1 and C_N for the independent prior by nested QUADPACK on the direct expectations: theta
    (the angle between the means, density sin^(d-2) theta / Z_d) outside, X0 ~ N(M, M) inside,
    h'' and h''' from :mod:`theory.gaussian_mixtures.losses`, E[Q | X0] = X0^2/M + (1 + P)^2 + d - 2
    (M = R^2 sin^2(theta/2), P = R^2 cos^2(theta/2)) and C_N's integrand from
    :mod:`theory.gaussian_mixtures.tv_constants`.  Up to R = 100 the tasks that carry the mass
    (M of order 1) lose at most ~1e-4 of the numerator to its cancellation."""
    hs = derivatives_fn("logistic", (2, 3))
    f_n, _ = integrands()
    norm = integrate.quad(lambda t: math.sin(t) ** (d - 2), 0, math.pi, epsabs=0, epsrel=1e-13)[0]

    def inner(theta: float) -> np.ndarray:
        m2 = (big_r * math.sin(theta / 2)) ** 2
        k = (1 + (big_r * math.cos(theta / 2)) ** 2) ** 2 + d - 2
        reach = min(60.0, 40 * math.sqrt(m2))

        def expect(f) -> float:
            # e^(M/2) N(M, M) density; breakpoints at the kink and near sigma'(2x)'s mass
            g = lambda x: f(x) * math.exp(x - x * x / (2 * m2)) / math.sqrt(2 * math.pi * m2)  # noqa: E731
            return integrate.quad(g, -reach, reach, points=[0.0], epsabs=0, epsrel=1e-11, limit=400)[0]

        def numerator(x: float) -> float:
            h2, h3 = hs(np.array(2 * x))
            return float(h2 + x * h3) * (x * x / m2 + k)

        num = expect(numerator)
        den = expect(lambda x: x * x * float(hs(np.array(2 * x))[0]))
        tv_n = expect(lambda x: float(f_n(x)))
        return math.exp(-m2 / 2) * np.array([num, den, tv_n]) * math.sin(theta) ** (d - 2) / norm

    # at large R the mass is at theta ~ 1/R, where the means nearly coincide
    points = [x / big_r for x in (1.0, 4.0, 16.0, 64.0) if x / big_r < math.pi]
    with warnings.catch_warnings():
        # at R = 100 the tasks of M >~ 100, where the direct numerator cancels to 1e-8 of its
        # terms, miss the inner tolerance (QUADPACK says so); their weight is below e^-50
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        parts = integrate.quad_vec(inner, 0, math.pi, epsabs=0, epsrel=1e-11, limit=400, points=points)[0]
    g1 = -2 * parts[0] / parts[1]
    return {"g1": g1, "tv_n": abs(g1) * parts[2]}


@pytest.mark.parametrize("d,big_r", [(2, 1.0), (3, 3.0), (4, 2.0), (3, 100.0)])
def test_independent_constants_against_nested_quadpack(d: int, big_r: float) -> None:
    """Tolerance: the stated error plus the reference's own, its nested tolerances (1e-11 each)
    times the direct numerator's cancellation (at most 100x at R <= 3, d >= 2)."""
    k = constants(TaskPrior(d=d, kind="independent", snr=big_r))
    ref = _independent_reference(d, big_r)
    for constant, exact in ((k.g1, ref["g1"]), (k.tv_n, ref["tv_n"])):
        assert abs(constant.value - exact) <= constant.error + 1e-9 * abs(exact), (constant, exact)


@pytest.mark.parametrize("big_r", [1.0, 3.0, 10.0])
def test_independent_d1_against_mpmath(big_r: float) -> None:
    """d = 1: the means coincide (theta = 0: X0 = 0, E[Q] = (1 + R^2)^2, h''(0) = 1/4) or are
    antipodal (theta = pi), each with probability 1/2."""
    k = constants(TaskPrior(d=1, kind="independent", snr=big_r))
    with mp.workdps(_digits(big_r)):
        m2 = mp.mpf(big_r) ** 2
        q = lambda x: x * x / m2  # noqa: E731
        tilt = mp.exp(-m2 / 2)
        num = tilt * _scaled_expectation(lambda x: _sigma_prime(2 * x) * q(x) * (1 - x * mp.tanh(x)), m2)
        den = tilt * _scaled_expectation(lambda x: x * x * _sigma_prime(2 * x), m2)
        g1 = -2 * (num + (1 + m2) ** 2 / 4) / den
    assert abs(k.g1.value - float(g1)) <= k.g1.error, (k.g1, g1)


def test_independent_c_m_at_r3_against_two_class_monte_carlo() -> None:
    """C_M of the independent prior off R = 1, where its Laplace-transform root is checked only
    by the c = 2 Monte Carlo (:mod:`numerics.gaussian_mixtures.class_constants`): z-test at
    alpha = 1e-3 (4e5 draws: standard error 0.2% of C_M)."""
    exact = constants(TaskPrior(d=3, kind="independent", snr=3.0)).tv_m
    mc = class_constants(MixturePrior(d=3, classes=2, snr=3.0), np.random.default_rng(11), 400_000).tv_m
    z = (mc.value - exact.value) / math.hypot(mc.error, exact.error)
    assert abs(z) < stats.norm.ppf(1 - 1e-3 / 2), (mc, exact)


def test_unresolved_rules_are_refused(monkeypatch) -> None:
    """A coarse rule that is not converged (step 1, 4 angles) against the fine one: refused,
    naming the constant, rather than reported with a difference that would not bound its error."""
    monkeypatch.setattr(constants_module, "COARSE", Resolution(1.0, 4))
    with pytest.raises(NotComputable, match="not resolved"):
        constants(TaskPrior(d=3, kind="independent", snr=3.0))


@pytest.mark.parametrize("argv,status", [
    (["--d", "3", "--snr", "1e8", "--prior", "independent"], 0),  # g1 ~ -R^4: beyond plus_minus's reach
    (["--d", "3", "--snr", "1e-150"], 0),  # g1 ~ -2 d / R^2 = -6e300
    (["--d", "3", "--snr", "5e-324"], 2),  # R^2 underflows
    (["--d", "1", "--snr", "100", "--prior", "independent"], 2),  # g1 ~ e^(R^2/2) overflows
])
def test_cli_extremes_answer_or_refuse_in_one_line(argv: list[str], status: int, capsys) -> None:
    assert cli.main(["constants", *argv]) == status
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if status == 2:
        assert len(err.strip().splitlines()) == 1
        assert err.startswith("icl-verify: cannot compute this setting")
    else:
        assert len(out.strip().splitlines()) == 4 and "±" in out and not err


@pytest.mark.parametrize("argv,field", [
    (["--snr", "1e8", "--samples", "1000"], "setting"),  # the softmax one-hot on every draw
    (["--snr", "1e-100", "--samples", "1000"], "setting"),  # g1 ~ 1/R^2: its standard error overflows
    (["--snr", "100", "--samples", "1000"], "--samples"),  # ~1 effective draw
])
def test_class_constants_at_extreme_r_refuse_in_one_line(argv: list[str], field: str, capsys) -> None:
    """The c-class Monte Carlo crashed at R = 1e8 (g1 = slope / 0) and printed ``± inf`` at
    R = 1e-100; where few draws carry an integrand its standard error is not trusted either."""
    assert cli.main(["constants", "--d", "3", "--classes", "3", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and field in err[0] and "Traceback" not in err[0], err


def test_class_constants_with_enough_effective_draws_at_large_r() -> None:
    """R = 30, c = 2, 1e5 draws (about 110 effective draws of the slope): against the binary
    quadrature within 3.29 standard errors (alpha = 1e-3; the coverage measured with 200
    replications at 30 effective draws is in class_constants.MIN_EFFECTIVE_DRAWS)."""
    exact = constants(TaskPrior(d=3, kind="independent", snr=30.0))
    mc = class_constants(MixturePrior(d=3, classes=2, snr=30.0), np.random.default_rng(5), 100_000)
    for name in ("g1", "tv_n", "tv_m"):
        estimate, reference = getattr(mc, name), getattr(exact, name)
        assert abs(estimate.value - reference.value) <= 3.29 * math.hypot(estimate.error, reference.error)
