"""E[TV] of the binary antipodal prior by quadrature (SPEC §A.5, §C.2; claim A5; issue 13).

Whitened, the paper's antipodal law has ``mu_plus = R e1 = -mu_minus``, so every prompt
statistic is ``a = R e1 + xi / sqrt(M)`` exactly (the counts cancel) and the Bayes log-odds
of a query ``w = y R e1 + z`` is ``2 R w1``.  With ``W = alpha Lambda^-1`` the model's logit is
``alpha (R w1 + |w| g / sqrt(M))``, g ~ N(0, 1) given w, and by the symmetry y -> -y
(w -> -w, g -> -g) ``w1 ~ N(R, 1)``:

* ``M = inf``: ``E[TV] = E |sigma(alpha R w1) - sigma(2 R w1)|``, one dimension with a kink at
  ``w1 = 0`` (:func:`numerics.quadrature.normal_expectation`);
* ``alpha = 2`` (N = inf), finite M: ``|w|^2 = w1^2 + r``, r ~ chi-square(d - 1), and folding
  g at 0 gives ``E_g |sigma(a + b g) - sigma(a)| = E_{|g|} [sigma(a + b|g|) - sigma(a - b|g|)]``
  (``a = 2 R w1``, ``b = 2 |w| / sqrt(M)``), smooth: a tensor Gauss rule in (w1, r, |g|).

Each value carries an error estimate: the adaptive quadrature's tolerance, or the difference
between two tensor resolutions.  TV is invariant under whitening, so Lambda does not enter.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, roots_jacobi, roots_legendre

from numerics import quadrature as qr
from numerics.gaussian_mixtures.priors import TaskPrior

#: the relative tolerance stated as a floor under every error estimate here (the adaptive
#: quadrature is asked for 1e-13; the tensor rules' resolutions agree to ~1e-15)
QUAD_RTOL = 1e-11


def reducible(prior: TaskPrior) -> bool:
    """Whether E[TV] reduces to these integrals: the antipodal prior under the paper's law."""
    return prior.kind == "antipodal" and prior.satisfies_paper_assumptions


def _tv_m_inf(big_r: float, alpha: float) -> float:
    return qr.normal_expectation(lambda w1: abs(expit(alpha * big_r * w1) - expit(2 * big_r * w1)),
                                 big_r, 1.0)


def _query_rule(big_r: float, d: int, nodes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes (|w|, w1) and weights for ``w ~ N(R e1, I_d)`` in polar coordinates
    ``w1 = rho u``: Gauss-Legendre in rho on [0, R + 12] (the density ``rho^(d-1) exp(-(rho^2 -
    2 R rho u + R^2)/2)`` is smooth there, and past R + 12 below 1e-30) and Gauss-Jacobi in u
    for ``(1 - u^2)^((d-3)/2)``, normalised to weights summing to one.  In these coordinates
    ``|w|`` is a coordinate: in (w1, |w_perp|^2) it is ``sqrt(w1^2 + r)``, not smooth at 0,
    which held a tensor rule to an error ~1/n."""
    x, wx = roots_legendre(nodes)
    top = big_r + 12.0
    rho, w_rho = top * (x + 1) / 2, top * wx / 2
    u, w_u = roots_jacobi(nodes, (d - 3) / 2, (d - 3) / 2)
    (rho, u), weight = qr.tensor((rho, w_rho), (u, w_u))
    weight = weight * rho ** (d - 1) * np.exp(-(rho * rho - 2 * big_r * rho * u + big_r**2) / 2)
    return rho, rho * u, weight / weight.sum()


def _tv_alpha_2(big_r: float, d: int, m: float, nodes: int) -> float:
    if d == 1:  # |w| = |w1|: a kink at w1 = 0, split there
        g, wg = qr.half_normal_odd(nodes)
        return qr.normal_expectation(
            lambda w1: float(wg @ (expit(2 * big_r * w1 + 2 * abs(w1) * g / math.sqrt(m))
                                   - expit(2 * big_r * w1 - 2 * abs(w1) * g / math.sqrt(m)))) / 2,
            big_r, 1.0)
    norm, w1, weight = _query_rule(big_r, d, nodes)
    g, wg = qr.half_normal_odd(nodes // 2)
    a = 2 * big_r * w1[:, None]
    b = 2 * norm[:, None] * g[None, :] / math.sqrt(m)
    # E|f(g)| = E_|g| [f(|g|) - f(-|g|)] / 2 for f increasing through f(0) = 0
    return float(weight @ ((expit(a + b) - expit(a - b)) @ wg)) / 2


def antipodal_tv(prior: TaskPrior, alpha: float, m: float) -> tuple[float, float]:
    """``E[TV]`` at ``W = alpha Lambda^-1`` and test prompts of length ``m`` (inf allowed), and
    its error estimate; finite ``m`` needs ``alpha = 2`` (N = inf)."""
    if not reducible(prior):
        raise ValueError("prior: E[TV] reduces to quadrature for the paper's antipodal law only")
    big_r = prior.snr
    if math.isinf(m):
        value = _tv_m_inf(big_r, alpha)
        return value, QUAD_RTOL * value
    if alpha != 2:
        raise ValueError("alpha: at finite M the reduction is for alpha = 2 (N = inf) only")
    fine, coarse = _tv_alpha_2(big_r, prior.d, m, 64), _tv_alpha_2(big_r, prior.d, m, 48)
    return fine, max(abs(fine - coarse), QUAD_RTOL * fine)
