"""Monte Carlo estimates of L(W), grad L(W) and Hess L(W), each with its standard error.

Per sample (task, prompt statistic ``a``, query ``(x_q, y_q)``) the loss is ``h(s)`` with the
margin ``s = y_q a^T W x_q``.  By the matrix calculus of :mod:`theory.gradients`

    grad_W h = h'(s) y_q a x_q^T,
    Hess_vec(W) h = h''(s) vec(a x_q^T) vec(a x_q^T)^T          (y_q^2 = 1),

with ``vec`` the row-major flattening used throughout (``W.ravel()``).  The ``h^(k)`` are the
lambdified derivatives of :mod:`theory.losses`.  A :class:`~numerics.sufficient_stats.PromptSample`
fixes the draws, so every W evaluated on one sample uses common random numbers and
``L_B`` (the average over that sample) is an exactly smooth, convex function of W.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numerics.sufficient_stats import PromptSample
from theory.losses import derivatives_fn


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo mean and its standard error (sample s.d. / sqrt(B), entrywise)."""

    value: np.ndarray
    stderr: np.ndarray


def _mean_se(x: np.ndarray) -> Estimate:
    n = x.shape[0]
    return Estimate(x.mean(axis=0), x.std(axis=0, ddof=1) / np.sqrt(n))


def margins(sample: PromptSample, w: np.ndarray) -> np.ndarray:
    """``s_b = y_b a_b^T W x_b``."""
    return sample.y_q * np.einsum("bi,ij,bj->b", sample.a, w, sample.x_q)


def features(sample: PromptSample) -> np.ndarray:
    """``vec(a x_q^T)`` per sample, shape (B, d*d)."""
    return np.einsum("bi,bj->bij", sample.a, sample.x_q).reshape(sample.a.shape[0], -1)


def loss(sample: PromptSample, w: np.ndarray, loss_name: str = "logistic") -> Estimate:
    (h,) = derivatives_fn(loss_name, (0,))(margins(sample, w))
    return _mean_se(h)


def gradient(sample: PromptSample, w: np.ndarray, loss_name: str = "logistic",
             with_stderr: bool = True) -> Estimate:
    (h1,) = derivatives_fn(loss_name, (1,))(margins(sample, w))
    d = w.shape[0]
    if not with_stderr:
        g = np.einsum("b,bi,bj->ij", h1 * sample.y_q, sample.a, sample.x_q) / h1.shape[0]
        return Estimate(g, np.full_like(g, np.nan))
    est = _mean_se((h1 * sample.y_q)[:, None] * features(sample))
    return Estimate(est.value.reshape(d, d), est.stderr.reshape(d, d))


def hessian(sample: PromptSample, w: np.ndarray, loss_name: str = "logistic",
            with_stderr: bool = True) -> Estimate:
    """(d^2, d^2) Hessian in row-major vec(W) coordinates."""
    (h2,) = derivatives_fn(loss_name, (2,))(margins(sample, w))
    v = features(sample)
    n = v.shape[0]
    mean = (v * h2[:, None]).T @ v / n
    if not with_stderr:
        return Estimate(mean, np.full_like(mean, np.nan))
    second = ((v * v) * (h2 * h2)[:, None]).T @ (v * v) / n
    var = np.maximum(second - mean**2, 0.0) * n / (n - 1)
    return Estimate(mean, np.sqrt(var / n))


def loss_grad_hess(sample: PromptSample, w: np.ndarray, loss_name: str = "logistic"
                   ) -> tuple[float, np.ndarray, np.ndarray]:
    """L_B, grad L_B (d, d) and Hess L_B (d^2, d^2) in one pass, without standard errors."""
    s = margins(sample, w)
    h0, h1, h2 = derivatives_fn(loss_name, (0, 1, 2))(s)
    v = features(sample)
    n = v.shape[0]
    d = w.shape[0]
    grad = ((h1 * sample.y_q) @ v / n).reshape(d, d)
    hess = (v * h2[:, None]).T @ v / n
    return float(h0.mean()), grad, hess
