"""W*(N), the minimiser of the expected loss (SPEC §A.4 claim A3, §C.2).

* Invariant prior: ``W* = alpha(N) Lambda^-1`` exactly (SPEC §C.2), with alpha(N) from the
  reduced quadrature of :mod:`numerics.reduced_loss` -- deterministic, error ~1e-10.
* Any prior (the only route for a non-invariant one): Newton's method on the common-random-
  number average L_B over B sampled prompts, in all d^2 coordinates, with the sandwich
  covariance ``H^-1 Cov(grad) H^-1 / B`` of the M-estimator as its uncertainty.

The tests show the two routes agree on invariant priors (a chi-square test on the d^2
entries at a stated alpha).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numerics import estimators
from numerics.priors import TaskPrior
from numerics.reduced_loss import alpha_star
from numerics.sufficient_stats import Sample


@dataclass(frozen=True)
class Minimizer:
    """A minimiser W with its uncertainty.

    ``error_estimate`` is the largest entrywise error: the quadrature error estimate for
    ``method='quadrature'`` or the largest standard error for ``method='monte-carlo'``.
    """

    w: np.ndarray
    error_estimate: float
    method: str
    alpha: float | None = None
    cov: np.ndarray | None = None  # covariance of vec(W) (Monte Carlo only)
    iterations: int = 0


def newton_minimize(sample: Sample, w0: np.ndarray, loss_name: str = "logistic",
                    gtol: float = 1e-12, max_iter: int = 50) -> tuple[np.ndarray, int]:
    """Minimise the sample average L_B by damped Newton steps (L_B is strictly convex)."""
    w = np.array(w0, dtype=float)
    d = w.shape[0]
    value, grad, hess = estimators.loss_grad_hess(sample, w, loss_name)
    for it in range(1, max_iter + 1):
        step = np.linalg.solve(hess, grad.ravel()).reshape(d, d)
        t = 1.0
        while True:  # backtracking keeps every step a descent step
            cand = w - t * step
            cand_value, cand_grad, cand_hess = estimators.loss_grad_hess(sample, cand, loss_name)
            if cand_value <= value - 1e-4 * t * np.vdot(grad, step) or t < 1e-8:
                break
            t /= 2
        w, value, grad, hess = cand, cand_value, cand_grad, cand_hess
        if np.abs(grad).max() <= gtol:
            return w, it
    return w, max_iter


def sandwich_cov(sample: Sample, w: np.ndarray, loss_name: str = "logistic") -> np.ndarray:
    """Covariance of vec(W_B) about W*: H^-1 Cov(per-sample gradient) H^-1 / B."""
    g = estimators.per_sample_gradients(sample, w, loss_name)
    _, _, hess = estimators.loss_grad_hess(sample, w, loss_name)
    hinv = np.linalg.inv(hess)
    return hinv @ np.atleast_2d(np.cov(g, rowvar=False)) @ hinv / g.shape[0]


def full_minimizer(sample: Sample, w0: np.ndarray | None = None,
                   loss_name: str = "logistic") -> Minimizer:
    """Full-matrix W* of L_B (Monte Carlo), with its sandwich covariance."""
    d = sample.x_q.shape[1]
    w, iterations = newton_minimize(sample, np.zeros((d, d)) if w0 is None else w0, loss_name)
    cov = sandwich_cov(sample, w, loss_name)
    return Minimizer(w=w, error_estimate=float(np.sqrt(np.diag(cov)).max()), method="monte-carlo",
                     cov=cov, iterations=iterations)


def quadrature_minimizer(prior: TaskPrior, n: float, **kwargs) -> Minimizer:
    """``alpha(N) Lambda^-1`` for an invariant prior, by the reduced quadrature."""
    star = alpha_star(prior, n, **kwargs)
    scale = float(np.abs(prior.precision).max())
    return Minimizer(w=star.w(prior), error_estimate=star.error * scale, method="quadrature",
                     alpha=star.alpha)
