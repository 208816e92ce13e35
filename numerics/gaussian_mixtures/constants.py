"""The asymptotic constants of paper A's binary claims by quadrature (issue 13, SPEC §A.5):
``g1`` in ``alpha(N) = 2 + g1/N + O(1/N^2)``, ``C_N = lim N E[TV](N, M = inf)`` and
``C_M = lim sqrt(M) E[TV](N = inf, M)``, with
(:mod:`theory.gaussian_mixtures.tv_constants`)

    C_N = |g1| E[|X0| sigma'(2 X0)],     C_M = 2 sqrt(2/pi) E[sqrt(Q) sigma'(2 X0)].

Both are expectations of an even function of X0 times ``sigma'(2 X0)``, so the tilt (T) of
:mod:`numerics.gaussian_mixtures.asymptotics` turns them into ``e^(-M/2)/4`` times
expectations over ``Z ~ N(0, M)`` against sech Z, on the same task nodes and exp-sinh rule as
g1, with ``|X0| = sqrt(M) |a|`` and ``E[sqrt Q | X0] = root(a)``, ``a = X0 / sqrt(M)``:

    root(a) = E sqrt(a^2 + V),   V = (1 + P) w_b^2 + r   (V = 0 at d = 1),

from ``sqrt(x) = (1 / (2 sqrt(pi))) int_0^inf (1 - e^(-t x)) t^(-3/2) dt`` and the Laplace
transform ``E e^(-t V) = (1 + 2 kappa t)^(-1/2) exp(-kappa t P / (1 + 2 kappa t))
(1 + 2t)^(-(d-2)/2)``, ``kappa = 1 + P``: one more exp-sinh integral, in ``t (a^2 + K)``
(``E[V] = K``), with ``1 - e^(...)`` as ``-expm1`` so that small t keeps its digits.

Each constant is computed at two resolutions
(:data:`~numerics.gaussian_mixtures.asymptotics.COARSE`, ``FINE``); the fine value is reported,
with the difference as its error, at least :data:`ROUNDING` of the scale of its terms plus the
rounding of its log-space weights.  None depends on Lambda: TV and alpha are invariant under
whitening (SPEC §C.2).  C_N and C_M carry the factor ``e^(-M/2)``, ``e^(-R^2/2)`` for the
antipodal prior: beyond R ~ 37 they are below the smallest double and are refused, naming
their size (:func:`constants`).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from numerics import quadrature as qr
from numerics.config import NotComputable
from numerics.gaussian_mixtures.asymptotics import (
    COARSE,
    FINE,
    G1Sums,
    Resolution,
    Tasks,
    g1_sums,
    sech_rule,
    tasks,
)
from numerics.gaussian_mixtures.priors import TaskPrior

#: the rounding floor under every error estimate, relative to the scale of a constant's terms
#: (the rounding of the log-space weights and of exp(log) is added to it where it applies).
#: Measured against the references of tests/test_constants_extreme.py (mpmath at 25 + 4 log10 R
#: digits and nested QUADPACK on the expectations as written; antipodal d = 1..8, R = 0.1..30;
#: independent d = 1..4, R = 1..100): the fine resolution's actual error was at most 5e-15 of
#: the value (1.2e-14 in a spot check at d = 2, R = 30), besides exp's rounding of a log of
#: -450 (2.6e-14 at R = 30)
ROUNDING = 1e-13
#: the largest relative difference between the two resolutions at which a constant is still
#: reported; beyond it the setting is refused as unresolved.  The coarse rule's error is about
#: the square root of the fine one's, so at 1e-8 their difference still bounds the fine error
#: with room to spare; over antipodal d = 1..400 and independent d = 1..400 at R = 1e-3..1e8 the
#: largest difference measured was 8.3e-12 (g1, antipodal, d = 2, R = 3)
RESOLUTION_RTOL = 1e-8


@dataclass(frozen=True)
class Constant:
    """A computed constant and the estimate of its error."""

    value: float
    error: float


@dataclass(frozen=True)
class Constants:
    g1: Constant
    tv_n: Constant
    tv_m: Constant


@dataclass(frozen=True)
class _Scaled:
    """``exp(log_scale) * value``, value > 0, with the relative rounding of its task weights."""

    log_scale: float
    value: float
    weight_rounding: float

    def log(self) -> float:
        return self.log_scale + math.log(self.value)

    def times(self, factor: float) -> _Scaled:
        return _Scaled(self.log_scale + math.log(factor), self.value, self.weight_rounding)


def _root(a: np.ndarray, p2: float, d: int, step: float) -> np.ndarray:
    """``E sqrt(a^2 + V)`` per entry of a (module docstring); d = 1: |a|."""
    if d == 1:
        return np.abs(a)
    x, w = qr.exp_sinh(step)
    kappa, k = 1 + p2, d - 2
    mean_q = (a * a + (1 + p2) ** 2 + k)[:, None]  # E[a^2 + V] = a^2 + K
    t = x[None, :] / mean_q
    log_laplace = (-t * (a * a)[:, None] - 0.5 * np.log1p(2 * kappa * t)
                   - kappa * t * p2 / (1 + 2 * kappa * t) - k / 2 * np.log1p(2 * t))
    # int (1 - e^(-t x)) t^(-3/2) dt in t = x' / mean_q: a factor sqrt(mean_q)
    return np.sqrt(mean_q[:, 0]) * ((-np.expm1(log_laplace) * x ** -1.5) @ w) / (2 * math.sqrt(math.pi))


def tv_sums(t: Tasks, res: Resolution) -> tuple[_Scaled, _Scaled]:
    """``E[|X0| sigma'(2 X0)]`` (C_N / |g1|) and C_M, in log space (module docstring)."""
    n_part, m_part = np.zeros(t.m2.size), np.zeros(t.m2.size)
    for i, (m2, p2) in enumerate(zip(t.m2, t.p2, strict=True)):
        if m2 == 0:  # X0 = 0 (d = 1, theta = 0): sigma'(0) = 1/4, E sqrt Q = sqrt(1 + P) E|w_b|
            mean = math.sqrt(p2)
            folded = mean * math.erf(mean / math.sqrt(2)) + math.sqrt(2 / math.pi) * math.exp(-p2 / 2)
            m_part[i] = 2 * math.sqrt(2 / math.pi) * math.sqrt(1 + p2) * folded
            continue
        a, w = sech_rule(float(m2), res.step)
        n_part[i] = math.sqrt(m2) * (w @ a)
        m_part[i] = 2 * math.sqrt(2 / math.pi) * (w @ _root(a, float(p2), t.d, res.step))
    log_tilt = t.log_tilt()
    out = []
    for part in (n_part, m_part):
        with np.errstate(divide="ignore"):
            logs = log_tilt + np.log(part)
        top = float(logs.max())
        out.append(_Scaled(top, float(np.exp(logs - top).sum()), t.weight_rounding()))
    return out[0], out[1]


#: the smallest value reported: its error (>= ROUNDING of it) is still a normal double
SMALLEST = sys.float_info.min / ROUNDING


def constants(prior: TaskPrior) -> Constants:
    """g1, C_N and C_M for a binary prior under the paper's assumptions, each at the fine
    resolution with the difference from the coarse one as its error.

    Refused (:class:`NotComputable`) where the two resolutions differ by more than
    :data:`RESOLUTION_RTOL` of a constant's scale, where g1 is beyond double precision (it
    grows like e^(R^2/2) for the independent prior at d = 1, like 1/R^2 as R -> 0), and where
    C_N or C_M is below :data:`SMALLEST` (the reason gives their size, and g1).
    """
    if not prior.satisfies_paper_assumptions or not prior.invariant:
        raise ValueError("prior: the constants are derived for the paper's invariant law only")
    if prior.snr**2 < sys.float_info.min:
        raise NotComputable("setting", f"R = {prior.snr:g}: |m|^2 = R^2 is below the smallest double")
    where = f"R = {prior.snr:g}, d = {prior.d}, {prior.kind} prior"
    runs = []
    for res in (COARSE, FINE):
        nodes = tasks(prior, res.n_angle)
        runs.append((g1_sums(nodes, res), *tv_sums(nodes, res)))
    (g_coarse, n_coarse, m_coarse), (g_fine, n_fine, m_fine) = runs
    g1 = _g1_constant(g_coarse, g_fine, where)
    m_const = _tv_constant("C_M", m_coarse, m_fine, where)
    n_const = _tv_constant("C_N", n_coarse, n_fine, where, g1)
    small = [f"{name} = 10^{x.log() / math.log(10):.10g}" for name, x, c in
             (("C_N", n_fine.times(abs(g1.value)), n_const), ("C_M", m_fine, m_const)) if c is None]
    if small:
        raise NotComputable("setting", f"{' and '.join(small)} {'are' if len(small) > 1 else 'is'} below "
                                       f"{SMALLEST:.2g}, the smallest value whose error is a normal "
                                       f"double, at {where}, so no answer is printed "
                                       f"(g1 = {g1.value:.12g} ± {g1.error:.2g})")
    return Constants(g1, n_const, m_const)


def _g1_constant(coarse: G1Sums, fine: G1Sums, where: str) -> Constant:
    if not math.isfinite(fine.g1) or fine.denominator <= 0:
        raise NotComputable("setting", f"g1 is beyond double precision at {where} (its denominator "
                                       "E[X0^2 sigma'(2 X0)] underflows against its numerator)")
    # g1 = -2 num / den: its rounding scale has the numerator's integrand in absolute value
    scale = 2 * fine.abs_numerator / fine.denominator
    difference = abs(fine.g1 - coarse.g1)
    if difference > RESOLUTION_RTOL * scale:
        raise NotComputable("setting", f"g1 is not resolved at {where}: two resolutions give "
                                       f"{fine.g1:.12g} and {coarse.g1:.12g}")
    return Constant(fine.g1, max(difference, (ROUNDING + fine.weight_rounding) * scale))


def _tv_constant(name: str, coarse: _Scaled, fine: _Scaled, where: str, g1: Constant | None = None
                 ) -> Constant | None:
    """The constant, or None where it is below :data:`SMALLEST`.  Its relative error is the
    resolutions' difference, at least :data:`ROUNDING` plus the rounding of its task weights and
    of its log, which ``exp`` turns into ``eps |log|`` (6e-14 at R = 30); with g1 (C_N = |g1|
    times the sums) g1's relative error is added."""
    ratio = math.exp(coarse.log_scale - fine.log_scale) * coarse.value / fine.value
    relative = abs(ratio - 1)
    if relative > RESOLUTION_RTOL:
        raise NotComputable("setting", f"{name} is not resolved at {where}: two resolutions differ "
                                       f"by {relative:.2g} of it")
    if g1 is not None:
        fine = fine.times(abs(g1.value))
    log_rounding = 2 * np.finfo(float).eps * abs(fine.log())
    relative = max(relative, ROUNDING + fine.weight_rounding + log_rounding)
    if g1 is not None:
        relative += g1.error / abs(g1.value)
    if fine.log() < math.log(SMALLEST):
        return None
    value = math.exp(fine.log())
    return Constant(value, relative * value)
