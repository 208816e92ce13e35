"""Adversarial search for the extreme Hessian eigenvalues on a ball (SPEC §A.5, A1 and A2).

The Hessian of L_B in vec(W) is ``H(W) = mean_b h''(s_b) v_b v_b^T`` with
``v_b = vec(a_b x_b^T)`` and ``s_b = y_b a_b^T W x_b``.  For a simple eigenvalue with unit
eigenvector q,

    d lambda / dW = mean_b h'''(s_b) (q . v_b)^2 y_b a_b x_b^T,

so the search is projected (normalised) gradient descent on the ball
``||W - center||_F <= radius``, from several starts: the centre, points on the sphere
along +-center and +-I, and random points.  The search uses one sample; the statistics
that decide a verdict are then computed on an independent sample (:func:`eigen_bounds`), so
the selection does not bias them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from numerics import estimators
from numerics.sufficient_stats import PromptSample
from theory.losses import derivatives_fn


def _eig(sample: PromptSample, w: np.ndarray, loss_name: str, which: str
         ) -> tuple[float, np.ndarray]:
    h = estimators.hessian(sample, w, loss_name, with_stderr=False).value
    vals, vecs = np.linalg.eigh(h)
    i = 0 if which == "min" else -1
    return float(vals[i]), vecs[:, i]


def _eig_gradient(sample: PromptSample, w: np.ndarray, q: np.ndarray, loss_name: str
                  ) -> np.ndarray:
    (h3,) = derivatives_fn(loss_name, (3,))(estimators.margins(sample, w))
    proj = estimators.features(sample) @ q
    coef = h3 * proj * proj * sample.y_q
    return np.einsum("b,bi,bj->ij", coef, sample.a, sample.x_q) / coef.shape[0]


def _project(w: np.ndarray, center: np.ndarray, radius: float) -> np.ndarray:
    off = w - center
    norm = np.linalg.norm(off)
    return w if norm <= radius else center + off * (radius / norm)


@dataclass(frozen=True)
class SearchResult:
    w: np.ndarray            # the argmin (argmax) found
    value: float             # lambda_min (lambda_max) of the search sample's Hessian there
    eigenvector: np.ndarray  # its unit eigenvector (vec(W) coordinates)


def search_extreme_eigenvalue(sample: PromptSample, center: np.ndarray, radius: float,
                              rng: np.random.Generator, which: str = "min",
                              loss_name: str = "logistic", n_random: int = 4,
                              steps: int = 40) -> SearchResult:
    """Minimise lambda_min (``which='min'``) or maximise lambda_max over the ball."""
    d = center.shape[0]
    sign = 1.0 if which == "min" else -1.0
    directions = [np.eye(d), -np.eye(d)]
    if np.linalg.norm(center) > 0:
        directions += [center, -center]
    directions += [rng.standard_normal((d, d)) for _ in range(n_random)]
    starts = [center] + [center + radius * u / np.linalg.norm(u) for u in directions]
    best: SearchResult | None = None
    for w in starts:
        lam, q = _eig(sample, w, loss_name, which)
        step = 0.25 * radius
        for _ in range(steps):
            g = sign * _eig_gradient(sample, w, q, loss_name)
            gn = np.linalg.norm(g)
            if gn == 0:
                break
            cand = _project(w - step * g / gn, center, radius)
            cand_lam, cand_q = _eig(sample, cand, loss_name, which)
            if sign * cand_lam < sign * lam:
                w, lam, q = cand, cand_lam, cand_q
                step *= 1.2
            else:
                step *= 0.5
        if best is None or sign * lam < sign * best.value:
            best = SearchResult(w=w, value=lam, eigenvector=q)
    assert best is not None
    return best


@dataclass(frozen=True)
class EigenBounds:
    """Confidence bounds on lambda_min(H(W)) of the population loss at one W.

    ``lower``: one-sided t bound on the mean of lambda_min over K independent batch
    Hessians.  lambda_min is concave, so E lambda_min(H_batch) <= lambda_min(H): the bound is
    conservative.  ``upper``: one-sided bound on the Rayleigh quotient q^T H q for a unit q
    fixed beforehand (the search's eigenvector); it is unbiased and >= lambda_min(H).
    """

    estimate: float
    lower: float
    upper: float
    confidence: float


def eigen_bounds(sample: PromptSample, w: np.ndarray, q: np.ndarray, confidence: float,
                 loss_name: str = "logistic", batches: int = 20) -> EigenBounds:
    s = estimators.margins(sample, w)
    (h2,) = derivatives_fn(loss_name, (2,))(s)
    v = estimators.features(sample)
    z = stats.norm.ppf(confidence)
    rq = h2 * (v @ q) ** 2  # per-sample Rayleigh quotient terms
    upper = rq.mean() + z * rq.std(ddof=1) / np.sqrt(rq.size)
    mins = []
    for idx in np.array_split(np.arange(s.size), batches):
        hb = (v[idx] * h2[idx, None]).T @ v[idx] / idx.size
        mins.append(np.linalg.eigvalsh(hb)[0])
    mins = np.array(mins)
    t = stats.t.ppf(confidence, batches - 1)
    lower = mins.mean() - t * mins.std(ddof=1) / np.sqrt(batches)
    full = (v * h2[:, None]).T @ v / s.size
    return EigenBounds(estimate=float(np.linalg.eigvalsh(full)[0]), lower=float(lower),
                       upper=float(upper), confidence=confidence)
