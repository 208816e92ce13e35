"""The task-level expectations behind paper A's binary constants (SPEC §A.5, §C.2), in log
space, and g1 of ``alpha(N) = 2 + g1/N + O(1/N^2)`` from them
(:mod:`numerics.gaussian_mixtures.constants` adds C_N and C_M and the error estimates).

**Tasks.**  Whitened, a task is fixed up to rotation by the angle theta between u_plus and
u_minus.  With ``m = (mu_plus - mu_minus)/2`` and ``p = (mu_plus + mu_minus)/2`` (orthogonal:
the norms are equal), ``M = |m|^2 = R^2 sin^2(theta/2)`` and ``P = |p|^2 = R^2 cos^2(theta/2)``.
Given the task and either label, ``X0 = y m^T w ~ N(M, M)`` (``w = mu_y + z``), and in the
coordinates ``w_a = m^T w / |m|`` (``X0 = y |m| w_a``), ``w_b = p^T w / |p|`` and the d - 2
others, ``Q = ((mu_plus + mu_minus)^T w)^2/4 + |w|^2 = w_a^2 + (1 + P) w_b^2 + r`` with
``w_b ~ N(sqrt P, 1)`` and ``r ~ chi-square(d - 2)`` independent of X0, so

    E[Q | X0] = X0^2 / M + K,     K = (1 + P)^2 + d - 2.

**The tilt.**  The N(M, M) density is ``e^(-M/2) e^x`` times the N(0, M) density, and
``e^x sigma'(2x) = (1 + tanh x) / (4 cosh x)``, whose odd part integrates to zero against an
even f under N(0, M):

    E[f(X0) sigma'(2 X0)] = (e^(-M/2) / 4) E[f(Z) sech Z],     Z ~ N(0, M),  f even.   (T)

At large R the mass of ``f(X0) sigma'(2 X0)`` sits where X0 ~ 0, R standard deviations into
the tail of N(M, M), which no fixed rule around the mean resolves (a 160-point Gauss-Hermite
rule gave g1 = 0.6 +- 1.8 at R = 10 for -0.00227).  Under (T) it is the bulk of N(0, M) against
sech, and the factor e^(-M/2), where every such expectation underflows beyond R ~ 37, is
carried as a log.

**g1** (:func:`theory.gaussian_mixtures.expansion.g1_formula`) is
``-2 (E[h''(2X0) Q] + E[X0 h'''(2X0) Q]) / E[X0^2 h''(2X0)]``, with ``h''(2x) = sigma'(2x)`` and
``h'''(2x) = -sigma'(2x) tanh x``; its numerator is ``E[sigma'(2X0) q(X0) (1 - X0 tanh X0)]``,
``q(x) = x^2/M + K`` even.  By (T), ``(1 - z tanh z) sech z = (z sech z)'`` and an integration
by parts against the N(0, M) density (whose derivative is ``-z/M`` times it):

    E[h''Q] + E[X0 h'''Q] = (e^(-M/2) / 4) E[Z^2 sech Z (K - 2 + Z^2/M)] / M,
    E[X0^2 h'']           = (e^(-M/2) / 4) E[Z^2 sech Z].

The two terms of the direct numerator cancel to O(R^-4) of their size (d = 3: g1 ~ -24.7/R^4),
which would cost 1e-32 in relative precision at R = 1e8; the form above has a positive
integrand wherever K >= 2 (d >= 3, or P >= sqrt(2) - 1 at d = 2) and otherwise one sign
change, at ``|Z| = sqrt((2 - K) M)``, beyond sech's mass at large M.  Every expectation over
Z is the exp-sinh rule (:func:`numerics.quadrature.exp_sinh`) in ``z / min(1, sqrt M)``, so
that both the Gaussian's width and sech's unit width are resolved at any M.

**The task law.**  Antipodal: theta = pi.  Independent, d = 1: theta = 0 or pi, each with
probability 1/2 (at theta = 0, X0 = 0 and the expectations are closed: ``h''(0) E[Q]``
with ``E[Q] = (1 + P)^2``, not K: there is no w_a and no r).  Independent, d >= 2: theta has
the density ``sin^(d-2) theta / Z_d``; Gauss-Legendre runs on the window of theta where
``e^(-M/2) sin^(d-2) theta`` is within ``e^-WINDOW_DROP`` of its peak (:func:`angle_window`: at
large R a sliver near theta = 0, where the two means nearly coincide).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
from numpy.polynomial.legendre import leggauss
from scipy.special import gammaln

from numerics import quadrature as qr
from numerics.gaussian_mixtures.priors import TaskPrior
from theory.gaussian_mixtures import expansion

_SUM = sp.Symbol("E_h2Q_plus_E_X0h3Q")
#: g1 as a function of the sum of its numerator's two expectations (which the integration by
#: parts computes as one) and of E[X0^2 h'']; lambdify fails at the call if g1 depended on
#: the two other than through their sum
_G1 = sp.lambdify((_SUM, expansion.E_X0sq_h2),
                  expansion.g1_formula().subs(expansion.E_X0h3Q, _SUM - expansion.E_h2Q), modules="numpy")

#: the angle window's drop in log.  Beyond its edges the envelope is below e^-80 of its peak,
#: and the task factors it leaves out grow away from the peak at most like M^2 (the numerator's
#: Z^4 / M^2 term; P^2 only falls as theta grows): by at most (80 / max(d - 2, 1))^2 < e^9 at
#: the far edge when R is large, so the mass left out is below e^-70 of the total
WINDOW_DROP = 80.0
#: bisection steps for each end of the window (in log u, u = sin^2(theta/2)): 1e-300 .. 1 in
#: 2^-100 of its log range
_WINDOW_BISECTIONS = 100


@dataclass(frozen=True)
class Resolution:
    """The exp-sinh step over Z (and over the Laplace variable of C_M's sqrt Q) and the Gauss-
    Legendre nodes over theta (independent prior, d >= 2)."""

    step: float
    n_angle: int


#: the two resolutions every constant is computed at; the coarse one's error is about the
#: square root of the fine one's (exp-sinh), and their difference is the stated error
COARSE, FINE = Resolution(1 / 16, 48), Resolution(1 / 32, 64)


@dataclass(frozen=True)
class Tasks:
    """Task nodes: ``M = |m|^2``, ``P = |p|^2`` and the log of each node's probability, in
    dimension d."""

    d: int
    m2: np.ndarray
    p2: np.ndarray
    log_weight: np.ndarray

    def log_tilt(self) -> np.ndarray:
        """log of each node's probability times ``e^(-M/2) / 4``, the factor of (T)."""
        return self.log_weight - self.m2 / 2 - math.log(4)

    def weight_rounding(self) -> float:
        """The relative rounding of the nodes' weights against one another: each log is rounded
        to its last bit, ``eps |log|``, before it is exponentiated (d = 400: logs ~ 6e3, 1e-12);
        none with a single node."""
        return 2 * np.finfo(float).eps * float(np.abs(self.log_tilt()).max()) if self.m2.size > 1 else 0.0


def angle_window(d: int, big_r: float) -> tuple[float, float]:
    """The theta interval where ``psi = (d - 2) log sin theta - M/2`` is within
    :data:`WINDOW_DROP` of its maximum.

    In ``u = sin^2(theta/2)`` (``M = R^2 u``, ``sin theta = 2 sqrt(u (1 - u))``),
    ``psi(u) = ((d - 2)/2) log(4 u (1 - u)) - R^2 u / 2`` is concave, with its maximum at
    ``u* = 2k / (R^2 + 2k + sqrt(R^4 + 4k^2))`` (``k = d - 2``; u* = 0 at d = 2), so each end
    is a bisection (the lower one in log u).
    """
    k, r2 = d - 2, big_r * big_r

    def psi(u: float) -> float:
        return (k / 2 * math.log(4 * u * (1 - u)) if k else 0.0) - r2 * u / 2

    peak = 2 * k / (r2 + 2 * k + math.sqrt(r2 * r2 + 4 * k * k)) if k else 0.0
    floor = (psi(peak) if k else 0.0) - WINDOW_DROP
    lo_u, tiny = 0.0, 1e-300
    if k and psi(tiny) < floor:
        a, b = math.log(tiny), math.log(peak)
        for _ in range(_WINDOW_BISECTIONS):
            mid = 0.5 * (a + b)
            a, b = (mid, b) if psi(math.exp(mid)) < floor else (a, mid)
        lo_u = math.exp(a)
    hi_u, top = 1.0, 1 - 2.0**-53
    if psi(top) < floor:
        a, b = peak, top
        for _ in range(_WINDOW_BISECTIONS):
            mid = 0.5 * (a + b)
            a, b = (mid, b) if psi(mid) >= floor else (a, mid)
        hi_u = b
    return 2 * math.asin(math.sqrt(lo_u)), 2 * math.asin(math.sqrt(hi_u))


def tasks(prior: TaskPrior, n_angle: int) -> Tasks:
    """The task nodes of the prior's angle law (module docstring)."""
    d, big_r = prior.d, prior.snr
    if prior.kind == "antipodal":
        theta, log_w = np.array([math.pi]), np.zeros(1)
    elif d == 1:
        theta, log_w = np.array([0.0, math.pi]), np.full(2, math.log(0.5))
    else:
        lo, hi = angle_window(d, big_r)
        x, w = leggauss(n_angle)
        theta = lo + (hi - lo) * (x + 1) / 2
        log_norm = 0.5 * math.log(math.pi) + gammaln((d - 1) / 2) - gammaln(d / 2)
        log_w = np.log(w * (hi - lo) / 2) + (d - 2) * np.log(np.sin(theta)) - log_norm
    half = theta / 2
    return Tasks(d=d, m2=(big_r * np.sin(half)) ** 2, p2=(big_r * np.cos(half)) ** 2, log_weight=log_w)


def sech_rule(m2: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    """``(a, W)`` with ``sum_j W_j f(a_j) = E[f(Z / sqrt M) sech Z]``, ``Z ~ N(0, M)``, f even.
    The exp-sinh rule runs in ``z / min(1, sqrt M)``: in the Gaussian's scale where it is the
    narrower, in sech's otherwise.  Nodes of zero weight are dropped."""
    x, w = qr.exp_sinh(step)
    sd = math.sqrt(m2)
    scale = min(1.0, sd)
    z = scale * x
    a = z / sd
    # sech z = 2 e^-z / (1 + e^-2z): underflows to 0 where cosh would overflow
    sech = 2 * np.exp(-z) / (1 + np.exp(-2 * z))
    weight = (2 * scale / sd) * w * np.exp(-a * a / 2) / math.sqrt(2 * math.pi) * sech
    keep = weight > 0
    return a[keep], weight[keep]


@dataclass(frozen=True)
class G1Sums:
    """The numerator ``E[h''Q] + E[X0 h'''Q]`` and the denominator ``E[X0^2 h'']`` of g1 (h'' at
    2 X0), each ``exp(log_scale)`` times the stored value; ``abs_numerator`` integrates the
    numerator's integrand in absolute value: the scale of its rounding, with
    ``weight_rounding`` (:meth:`Tasks.weight_rounding`)."""

    log_scale: float
    numerator: float
    abs_numerator: float
    denominator: float
    weight_rounding: float

    @property
    def g1(self) -> float:
        """g1; infinite where the denominator underflows against the numerator (d = 1,
        independent prior, R above ~37: g1 grows like e^(R^2/2))."""
        with np.errstate(divide="ignore", over="ignore"):
            return float(_G1(np.float64(self.numerator), np.float64(self.denominator)))


def g1_sums(t: Tasks, res: Resolution) -> G1Sums:
    """The numerator and denominator of g1 (module docstring), in log space."""
    num, num_abs, den = (np.zeros(t.m2.size) for _ in range(3))
    for i, (m2, p2) in enumerate(zip(t.m2, t.p2, strict=True)):
        if m2 == 0:  # X0 = 0 (d = 1, theta = 0): h''(0) E[Q] = E[Q] / 4, E[Q] = (1 + P)^2
            num[i] = num_abs[i] = (1 + p2) ** 2
            continue
        k = (1 + p2) ** 2 + t.d - 2
        a, w = sech_rule(float(m2), res.step)
        term = a * a * (k - 2 + a * a)
        num[i], num_abs[i], den[i] = w @ term, w @ np.abs(term), m2 * (w @ (a * a))
    log_tilt = t.log_tilt()
    top = float(log_tilt.max())
    scale = np.exp(log_tilt - top)
    return G1Sums(top, float(scale @ num), float(scale @ num_abs), float(scale @ den), t.weight_rounding())


def g1(prior: TaskPrior) -> float:
    """g1 for an invariant prior with equal norms and balanced classes, at the fine resolution
    (:func:`numerics.gaussian_mixtures.constants.constants` gives it with its error)."""
    if not prior.satisfies_paper_assumptions or not prior.invariant:
        raise ValueError("prior: g1 is derived under the paper's assumptions only")
    return g1_sums(tasks(prior, FINE.n_angle), FINE).g1
