"""W*(N), the minimiser of the expected loss (SPEC §A.4 claim A3, §C.2).

* Invariant prior: ``W* = alpha(N) Lambda^-1`` exactly (SPEC §C.2), with alpha(N) from the
  reduced quadrature of :mod:`numerics.gaussian_mixtures.reduced_loss` -- deterministic, error ~1e-10.
* Any prior (the only route for a non-invariant one): Newton's method on the common-random-
  number average L_B over B sampled prompts, in all d^2 coordinates, with the sandwich
  covariance ``H^-1 Cov(grad) H^-1 / B`` of the M-estimator as its uncertainty.

* c classes (claim A3m): ``W* = alpha_c(N) Lambda^-1`` by the same symmetry, with alpha_c by
  Monte Carlo on the ray (:func:`class_ray`); no low-dimensional quadrature exists for c > 2.

The tests show the routes agree on invariant priors (a chi-square test on the d^2
entries at a stated alpha).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from numerics.config import ConfigError, NotComputable
from numerics.gaussian_mixtures import estimators
from numerics.gaussian_mixtures.priors import MixturePrior, TaskPrior
from numerics.gaussian_mixtures.reduced_loss import MAX_OUTER_NODES, alpha_star
from numerics.gaussian_mixtures.sufficient_stats import (
    ClassNoise,
    Sample,
    class_counts,
    draw_class_noise,
    sample_classes,
)
from numerics.newton import ray_newton
from theory.gaussian_mixtures.bayes import class_logits


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
    cov: np.ndarray | None = None  # covariance of vec(W) (full-matrix Monte Carlo)
    iterations: int = 0
    alpha_se: float | None = None  # standard error of alpha (Monte Carlo on the ray) ...
    direction: np.ndarray | None = None  # ... W = alpha Lambda^-1: the ray's direction Lambda^-1

    def covariance(self) -> np.ndarray:
        """Covariance of vec(W): zero for the deterministic routes; on the ray the rank-one
        ``se(alpha)^2 vec(Lambda^-1) vec(Lambda^-1)^T``, formed only here (d^4 doubles: 20 MB
        at d = 40, so not kept with every minimiser)."""
        if self.alpha_se is not None and self.direction is not None:
            p = self.direction.ravel()
            return self.alpha_se**2 * np.outer(p, p)
        return np.zeros((self.w.size, self.w.size)) if self.cov is None else self.cov


def newton_minimize(sample: Sample, w0: np.ndarray, loss_name: str = "logistic",
                    gtol: float = 1e-12, max_iter: int = 50) -> tuple[np.ndarray, int | None]:
    """Minimise the sample average L_B by damped Newton steps (L_B is strictly convex); the
    iterations taken, or None if the gradient did not fall below ``gtol`` in ``max_iter`` or
    the Hessian was singular (flat directions: no unique minimiser)."""
    w = np.array(w0, dtype=float)
    d = w.shape[0]
    value, grad, hess = estimators.loss_grad_hess(sample, w, loss_name)
    for it in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(hess, grad.ravel()).reshape(d, d)
        except np.linalg.LinAlgError:  # flat directions: no unique minimiser to step to
            return w, None
        t = 1.0
        while True:  # backtracking keeps every step a descent step
            cand = w - t * step
            cand_value, cand_grad, cand_hess = estimators.loss_grad_hess(sample, cand, loss_name)
            # near the minimiser the decrease of L_B is below its rounding, and only the
            # gradient still tells a good step (without this, 3 in 200 samples of 1000 aligned
            # prompts stalled at |grad| ~ 1e-12 with t halved to 1e-8)
            if (cand_value <= value - 1e-4 * t * np.vdot(grad, step)
                    or np.abs(cand_grad).max() < np.abs(grad).max() or t < 1e-8):
                break
            t /= 2
        w, value, grad, hess = cand, cand_value, cand_grad, cand_hess
        if np.abs(grad).max() <= gtol:
            return w, it
    return w, None


def sandwich_cov(sample: Sample, w: np.ndarray, loss_name: str = "logistic") -> np.ndarray:
    """Covariance of vec(W_B) about W*: H^-1 Cov(per-sample gradient) H^-1 / B."""
    g = estimators.per_sample_gradients(sample, w, loss_name)
    _, _, hess = estimators.loss_grad_hess(sample, w, loss_name)
    hinv = np.linalg.inv(hess)
    return hinv @ np.atleast_2d(np.cov(g, rowvar=False)) @ hinv / g.shape[0]


#: the sampled loss's Hessian at its minimiser must have eigenvalues above this fraction of the
#: largest: below it the minimiser is not identified (a separable sample has none at all)
MIN_CURVATURE_RATIO = 1e-10


#: the largest d a full-matrix Monte Carlo W* is given for: it needs
#: :func:`min_full_matrix_draws` draws, 1.2e6 at d = 10 (3.9 GiB), and E[TV] spends 2 d^2
#: test passes on its error (:func:`numerics.gaussian_mixtures.tv.expected_tv`)
MAX_FULL_MATRIX_DIM = 10


def min_full_matrix_draws(d: int) -> int:
    """Draws below which a full-matrix Monte Carlo W* (and E[TV] from it) is refused:
    ``10^4 (d/3)^4``.

    The logistic M-estimator's O(d^2 / B) bias is O(d^2 / sqrt(B)) of its standard errors, and
    it limits both answers (aligned prior, 200 replicates against 100-400x the draws):
    W*[0, 0] at d = 3, B = 1000 had mean z 0.37; E[TV] after the delta-method correction
    (:func:`numerics.gaussian_mixtures.tv._error_of_w`) had mean z 0.59, 0.43, 0.27, 0.23 at B = 1000, 3000,
    5000, 10000 (d = 3) and 2.5, 1.3, -0.09 at B = 1000, 5000, 64000 (d = 6, R = 1.5).  The
    rule keeps the bias near 0.2 standard errors where it was measured (d = 3: covering 93%
    of the stated 95% at 10^4 draws, tests/test_min_samples.py; d = 6: 99% already at 64000,
    below the rule's 160000); for 7 <= d <= 10 the d^4 scaling is extrapolated, not measured.
    A half-sample jackknife in place of the delta-method bias did worse (d = 3, B = 1000:
    mean z 0.70, coverage 86.5%)."""
    return max(estimators.MIN_SAMPLES, math.ceil(1e4 * (d / 3) ** 4))


def require_full_matrix_draws(d: int, draws: int) -> None:
    """Refuse a full-matrix Monte Carlo W* beyond :data:`MAX_FULL_MATRIX_DIM` or below
    :func:`min_full_matrix_draws` (:class:`numerics.config.ConfigError`)."""
    if d > MAX_FULL_MATRIX_DIM:
        raise ConfigError("d", f"W* by full-matrix Monte Carlo (a non-invariant prior) is supported up "
                               f"to d = {MAX_FULL_MATRIX_DIM}")
    if draws < min_full_matrix_draws(d):
        raise ConfigError("samples", f"W* by full-matrix Monte Carlo (a non-invariant prior) needs >= "
                                     f"{min_full_matrix_draws(d)} draws at d = {d} (fewer leave its "
                                     f"error a bias beyond its standard error), got {draws}")


def full_minimizer(sample: Sample, w0: np.ndarray | None = None,
                   loss_name: str = "logistic") -> Minimizer:
    """Full-matrix W* of L_B (Monte Carlo), with its sandwich covariance; a sample whose loss has
    no identified minimiser is refused (:class:`numerics.config.NotComputable`)."""
    d = sample.x_q.shape[1]
    w, iterations = newton_minimize(sample, np.zeros((d, d)) if w0 is None else w0, loss_name)
    eig = np.linalg.eigvalsh(estimators.loss_grad_hess(sample, w, loss_name)[2])
    wrong = estimators.misclassified(sample, w)
    if wrong == 0:
        raise NotComputable("setting", f"the sampled training loss has no minimiser (none of the "
                                       f"{sample.x_q.shape[0]} training prompts is misclassified): the "
                                       "sample is separable at this signal-to-noise; lower --snr or "
                                       "raise --samples")
    if iterations is None or not eig[0] > MIN_CURVATURE_RATIO * eig[-1]:
        raise NotComputable("setting", f"the sampled training loss has no identified minimiser "
                                       f"(Hessian eigenvalues {eig[0]:.2g} .. {eig[-1]:.2g} at the last "
                                       "Newton step): it is flat along some directions of W, as for one "
                                       "fixed task at N = inf, where only a^T W is determined, or the "
                                       "sample is nearly separable; lower --snr, raise --samples or "
                                       "take a finite --N")
    cov = sandwich_cov(sample, w, loss_name)
    return Minimizer(w=w, error_estimate=float(np.sqrt(np.diag(cov)).max()), method="monte-carlo",
                     cov=cov, iterations=iterations)


#: a quadrature alpha(N) whose error estimate exceeds this fraction of |alpha| is refused; below
#: it, it is given with that estimate, which is conservative where the ladder stops short of its
#: tolerance (independent prior, d = 2, R = 5, N = 64: estimate 3.4e-7 of 0.4025, while a rule
#: with 10x the nodes moves alpha by 3.0e-8)
ACCEPT_RTOL = 1e-4


def quadrature_minimizer(prior: TaskPrior, n: float, **kwargs) -> Minimizer:
    """``alpha(N) Lambda^-1`` for an invariant prior, by the reduced quadrature, with its error
    estimate; refused (:class:`numerics.config.NotComputable`) above :data:`ACCEPT_RTOL`."""
    star = alpha_star(prior, n, **kwargs)
    if not star.error <= ACCEPT_RTOL * abs(star.alpha):
        raise NotComputable("setting", f"the reduced quadrature gives alpha(N) = {star.alpha:.6g} only to "
                                       f"{star.error:.2g} here (at most {ACCEPT_RTOL:g} of it is accepted); "
                                       f"it needs more than its {MAX_OUTER_NODES:.0e} outer nodes (the "
                                       "independent prior at high --snr) or alpha is below its resolution "
                                       "(tiny --snr)")
    scale = float(np.abs(prior.precision).max())
    # rungs that agree to the last bit still carry a rounding error: one ulp of alpha, the
    # largest spread observed over 8 shuffles of the node order (6 settings, R = 1 to 1e3,
    # kappa = 1e3, d = 2 to 30, 3e3 to 8e4 nodes: 0 or 1 ulp) -- an observation, not a bound
    error = max(star.error, float(np.spacing(abs(star.alpha))))
    return Minimizer(w=star.w(prior), error_estimate=error * scale, method="quadrature",
                     alpha=star.alpha)


# -- c classes: W* = alpha_c(N) Lambda^-1 by Monte Carlo on the ray (SPEC §A.3, §C.2) -------
@dataclass(frozen=True)
class ClassRay:
    """alpha_c on a grid of N, and the gaps ``alpha_c(N) - alpha_c(inf)`` on common draws.

    Each alpha is the root of the sample-average first-order condition along the ray
    W = alpha Lambda^-1 (the law is rotation-invariant, so W* lies on it).  Uncertainties
    come from the influence functions ``psi_b(alpha) / mean psi'(alpha)``; the gap's uses the
    per-sample *difference* of the influences at N and at inf.  With the antithetic prompt
    noise and the count control variate of :func:`class_ray` that difference is O(1/N), like
    the gap, so the gap's relative error does not grow with N (~2% at 2e4 draws, d = 3, for
    c = 4..16 and N = 64..8192; without the control variate it grew like sqrt(N)).
    """

    n: np.ndarray
    alpha: np.ndarray
    alpha_se: np.ndarray
    alpha_inf: float
    alpha_inf_se: float
    gap: np.ndarray
    gap_cov: np.ndarray


@dataclass(frozen=True)
class RayProjections:
    """The two scalars per class that the logits on the ray need (SPEC §C.1-§C.2).

    With ``A_k = (N_k/N) mu_k + (sqrt(N_k)/N) Lambda^(1/2) xi_k`` the logits at alpha = 1 are

        z_k = A_k^T Lambda^-1 x_q = (N_k/N) m_k + (sqrt(N_k)/N) e_k,
        m_k = mu_k^T Lambda^-1 x_q,     e_k = (Lambda^(1/2) xi_k)^T Lambda^-1 x_q,

    so each N costs O(Bc) once m and e are formed.
    """

    m: np.ndarray          # (B, c)
    e: np.ndarray          # (B, c)
    posterior: np.ndarray  # (B, c): P(k | x_q, task), the query's class given its task

    @classmethod
    def of(cls, prior: MixturePrior, noise: ClassNoise) -> RayProjections:
        s = sample_classes(prior, noise, math.inf)
        px = s.x_q @ prior.precision
        return cls(m=np.einsum("bki,bi->bk", s.means, px, order="F"),
                   e=np.einsum("bki,bi->bk", noise.xi @ prior.cov_sqrt, px, order="F"),
                   posterior=_softmax(by_class(class_logits(s.x_q, s.means, prior.precision,
                                                           prior.class_prior))))

    def logits(self, counts: np.ndarray, n: float, sign: float = 1.0) -> np.ndarray:
        """``z`` for class counts ``counts`` (B, c) or expected counts (c,), prompt noise
        ``sign * xi``."""
        return (counts * self.m + sign * np.sqrt(counts) * self.e) / n

    def count_term(self, n_bar: np.ndarray, delta: np.ndarray, n: float, sign: float = 1.0
                   ) -> np.ndarray:
        """First-order change of ``z`` when the counts move from ``n_bar`` by ``delta``:
        ``(m_k + sign e_k / (2 sqrt(n_bar_k))) delta_k / N``."""
        return (self.m + sign * self.e / (2 * np.sqrt(n_bar))) * delta / n


@dataclass(frozen=True)
class _RayDraw:
    """Logits at alpha = 1 of one draw per task; at finite N also the logits ``z_bar`` at the
    expected counts and the first-order count term ``dz`` (the control variate's inputs)."""

    z: np.ndarray
    z_bar: np.ndarray | None = None
    dz: np.ndarray | None = None


def by_class(a: np.ndarray) -> np.ndarray:
    """``a`` (B, c) stored class by class (Fortran order): the ray's softmaxes and scores reduce
    over the c classes of every row, which numpy does 1.3-2.3x faster (c = 16 .. 2) when each
    class's B values are contiguous; every (B, c) array of the ray is kept so, and the
    elementwise operations keep the order."""
    return np.asfortranarray(a)


def _softmax(z: np.ndarray) -> np.ndarray:
    """Row softmax, in place on a fresh array: the ray's Newton iterations spend most of their
    time here, and scipy.special.softmax makes extra temporaries (1.45x slower at (1e5, 64))."""
    e = z - z.max(axis=1, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=1, keepdims=True)
    return e


def _ray_score(d: _RayDraw, posterior: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample ``d/dalpha`` and ``d^2/dalpha^2`` of ``E[l(alpha z, k) | x_q, task, prompt]``:
    ``(pi - P) . z`` and ``z^T (diag pi - pi pi^T) z``, P the posterior of the query's class.

    Rao-Blackwellised: the label enters the score ``(pi - e_k) . z`` linearly and the prompt
    is independent of it given the task, so averaging it out against ``P(k | x_q, task)``
    keeps the mean and removes the label's share of the variance.  At N = inf under the
    paper's law, ``softmax(c z) = P`` (:mod:`theory.gaussian_mixtures.minimizer`): every
    sample's score vanishes at alpha = c, so alpha_c(inf) = c comes out exact.

    With ``dz`` the score's first-order response to the count fluctuation,
    ``sum_j [pi_bar_j (1 + alpha (z_bar_j - pi_bar . z_bar)) - P_j] dz_j``, is subtracted:
    it has mean zero at every alpha because the counts are independent of the tasks, the
    noise and the query, and it removes the O(1/sqrt(N)) part of the score that the counts
    add.
    """
    pi = _softmax(alpha * d.z)
    mean_z = np.einsum("bk,bk->b", pi, d.z)
    score = mean_z - np.einsum("bk,bk->b", posterior, d.z)
    if d.dz is not None:
        pi_bar = _softmax(alpha * d.z_bar)
        mean_bar = np.einsum("bk,bk->b", pi_bar, d.z_bar)
        slope = pi_bar * (1 + alpha * (d.z_bar - mean_bar[:, None])) - posterior
        score = score - np.einsum("bk,bk->b", slope, d.dz)
    return score, np.einsum("bk,bk->b", pi, d.z * d.z) - mean_z**2


def _ray_root(draws: list[_RayDraw], posterior: np.ndarray, alpha0: float) -> tuple[float, np.ndarray]:
    """Minimiser of the sample-average loss on the ray (the scores averaged per sample over
    ``draws``, e.g. an antithetic pair), and the per-sample influence values."""

    def scores(alpha: float) -> tuple[np.ndarray, np.ndarray]:
        return tuple(np.mean(v, axis=0) for v in zip(*[_ray_score(d, posterior, alpha) for d in draws],
                                                      strict=True))

    alpha = ray_newton(lambda a: tuple(float(v.mean()) for v in scores(a)), alpha0, tol=1e-12)
    g, h = scores(alpha)
    return alpha, g / h.mean()


def _pair_draws(proj: RayProjections, counts: np.ndarray, n: float, p: np.ndarray) -> list[_RayDraw]:
    """The prompt and its antithetic twin (``xi -> -xi``), each with its count term."""
    n_bar = n * p
    return [_RayDraw(z=proj.logits(counts, n, sign), z_bar=proj.logits(n_bar, n, sign),
                     dz=proj.count_term(n_bar, counts - n_bar, n, sign)) for sign in (1.0, -1.0)]


def class_ray(prior: MixturePrior, noise: ClassNoise, grid: tuple[float, ...]) -> ClassRay:
    """alpha_c(N) for each N in ``grid`` and at N = inf, on one noise bundle.

    Two devices make the gap's error O(1/N) like the gap itself: the antithetic twin
    (``xi -> -xi``) cancels the first-order prompt-noise term, and the count control variate
    of :func:`_ray_score` the first-order multinomial-count term; a third, the score averaged
    over the query's label given the query (:func:`_ray_score`), removes the label's noise.
    """
    p = prior.class_prior
    proj = RayProjections.of(prior, noise)
    # N = inf: A_k = p_k mu_k, no prompt noise
    alpha_inf, infl_inf = _ray_root([_RayDraw(z=p * proj.m)], proj.posterior, float(prior.classes))
    alphas, infl = [], []
    start = alpha_inf
    for n, n_next in zip(grid, (*grid[1:], math.inf), strict=False):  # the last N has no next
        draws = _pair_draws(proj, by_class(class_counts(noise, int(n), p)), n, p)
        a, f = _ray_root(draws, proj.posterior, start)
        alphas.append(a)
        infl.append(f)
        start = alpha_inf + (a - alpha_inf) * n / n_next  # the gap falls like 1/N
    size = infl_inf.size
    infl = np.array(infl).reshape(len(grid), size)
    diff = infl - infl_inf
    return ClassRay(
        n=np.array(grid, dtype=float), alpha=np.array(alphas),
        alpha_se=infl.std(axis=1, ddof=1) / math.sqrt(size),
        alpha_inf=alpha_inf, alpha_inf_se=float(infl_inf.std(ddof=1) / math.sqrt(size)),
        gap=np.array(alphas) - alpha_inf, gap_cov=np.atleast_2d(np.cov(diff)) / size,
    )


def population_minimizer(prior: TaskPrior | MixturePrior, n: float, rng: np.random.Generator | None,
                         size: int = 200_000) -> Minimizer:
    """W*(N) = alpha(N) Lambda^-1 of an invariant prior (SPEC §C.2): binary by quadrature; c
    classes ``c Lambda^-1`` at N = inf of the paper's law
    (:mod:`theory.gaussian_mixtures.minimizer`), else Monte
    Carlo on the ray
    (``size`` draws) with
    the rank-one covariance ``se(alpha)^2 vec(Lambda^-1) vec(Lambda^-1)^T`` (:meth:`Minimizer.covariance`)."""
    if isinstance(prior, TaskPrior):
        return quadrature_minimizer(prior, n)
    if math.isinf(n) and prior.trains_like_paper:
        return Minimizer(w=prior.classes * prior.precision, error_estimate=0.0, method="limit",
                         alpha=float(prior.classes))
    if rng is None:
        raise ValueError("rng: W* of c classes needs a random stream, but at N = inf of the paper's law")
    ray = class_ray(prior, draw_class_noise(rng, size, prior.d, prior.classes), () if math.isinf(n) else (n,))
    if math.isinf(n):
        alpha, se = ray.alpha_inf, ray.alpha_inf_se
    else:
        alpha, se = float(ray.alpha[0]), float(ray.alpha_se[0])
    return Minimizer(w=alpha * prior.precision, error_estimate=se * float(np.abs(prior.precision).max()),
                     method="monte-carlo-ray", alpha=alpha, alpha_se=se, direction=prior.precision)
