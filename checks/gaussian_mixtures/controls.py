"""Paper A's negative controls (SPEC §A.6): each runs its claim's check on a setting that
breaks one assumption (or claims a rate the paper does not), and states the verdict that
must come out."""

from __future__ import annotations

import numpy as np

from checks.decision import Verdict
from checks.gaussian_mixtures.setting import Budget, Setting, base_mixture, base_prior
from checks.paper import Control
from numerics.softmax_regression.models import SoftmaxLoss
from numerics.softmax_regression.tokens import balanced


def _prior(kind: str, budget: Budget, **changes):
    return base_prior(kind, budget.dims[kind]).with_(**changes)


def _mixture(budget: Budget, classes: int = 4, **changes):
    return base_mixture(budget.class_dim, classes).with_(**changes)


def _shifted_test_cov(budget: Budget) -> np.ndarray:
    return np.eye(budget.dims["antipodal"])  # training Lambda is Toeplitz(0.5)


def _softmax_loss() -> SoftmaxLoss:
    return SoftmaxLoss(balanced(3), 12)


CONTROLS: tuple[Control, ...] = (
    Control("A1-brier", "A1",
            "squared error of sigma(yhat) instead of cross-entropy (non-convex)",
            Verdict.FAIL, lambda b: Setting("brier loss", _prior("antipodal", b), loss="brier")),
    Control("A1-softmax-attention", "A1",
            "paper B's loss, softmax attention (K = 3, N = 12): lambda_min about -0.05 once "
            "||Q|| >= 1", Verdict.FAIL, lambda b: Setting("paper B's loss, K=3, N=12", _softmax_loss(),
                                                          loss="paper B")),
    Control("A2-step-too-large", "A2",
            "step eta = 2.5 / ell, past the stable range 2 / ell: q = 1.5 and GD diverges",
            Verdict.FAIL, lambda b: Setting("antipodal, eta = 2.5/ell", _prior("antipodal", b),
                                            eta_factor=2.5)),
    Control("A2-softmax-attention", "A2",
            "paper B's loss, softmax attention (K = 3, N = 12): no minimiser, a negative Hessian "
            "eigenvalue on the ball the iterates cross, sublinear decay",
            Verdict.FAIL, lambda b: Setting("paper B's loss, K=3, N=12", _softmax_loss(), loss="paper B")),
    Control("A3-unequal-norms", "A3", "unequal Lambda^-1-norms: mu_minus = -0.5 mu_plus",
            Verdict.FAIL,
            lambda b: Setting("antipodal, kappa=0.5", _prior("antipodal", b, minus_scale=0.5))),
    Control("A3-unbalanced-independent", "A3", "P(y=+1) = 0.7, independent prior",
            Verdict.FAIL,
            lambda b: Setting("independent, p=0.7", _prior("independent", b, p_plus=0.7))),
    Control("A3-unbalanced-antipodal", "A3",
            "P(y=+1) = 0.7, antipodal prior: y x has one law for both labels, so the "
            "training loss ignores p and A3 must still PASS",
            Verdict.PASS,
            lambda b: Setting("antipodal, p=0.7", _prior("antipodal", b, p_plus=0.7))),
    Control("A3-rate-too-fast", "A3", "claimed rate O(1/N^2) instead of O(1/N)", Verdict.FAIL,
            lambda b: Setting("claim O(1/N^2)", _prior("antipodal", b), n_order=-2.0)),
    Control("A3m-unequal-norms", "A3m", "c = 4, one mean at half the Lambda^-1-norm", Verdict.FAIL,
            lambda b: Setting("c=4, scales (1,1,1,0.5)", _mixture(b, norm_scales=(1, 1, 1, 0.5)))),
    Control("A3m-unbalanced", "A3m", "c = 4, class prior (0.4, 0.3, 0.2, 0.1)", Verdict.FAIL,
            lambda b: Setting("c=4, p=(0.4,0.3,0.2,0.1)", _mixture(b, class_prior=(0.4, 0.3, 0.2, 0.1)))),
    Control("A3m-rate-too-fast", "A3m", "claimed rate O(c/N^2) instead of O(c/N)", Verdict.FAIL,
            lambda b: Setting("claim O(c/N^2)", _mixture(b), n_order=-2.0)),
    Control("A3m-c-rate-too-fast", "A3m",
            "claimed max|G_ij| = O(c^0.8/N): growth in c claimed 0.2 slower than the c^1 measured, "
            "twice the slope tolerance", Verdict.FAIL,
            lambda b: Setting("claim O(c^0.8/N)", _mixture(b), classes=b.classes, g_c_order=0.8)),
    Control("A5m-unequal-norms", "A5m", "c = 4, one mean at half the Lambda^-1-norm", Verdict.FAIL,
            lambda b: Setting("c=4, scales (1,1,1,0.5)", _mixture(b, norm_scales=(1, 1, 1, 0.5)))),
    Control("A5m-unbalanced", "A5m", "c = 4, class prior (0.4, 0.3, 0.2, 0.1)", Verdict.FAIL,
            lambda b: Setting("c=4, p=(0.4,0.3,0.2,0.1)", _mixture(b, class_prior=(0.4, 0.3, 0.2, 0.1)))),
    Control("A5m-c-rate-too-fast", "A5m", "claimed E[TV] = O(1/N + 1/sqrt(M)) with no growth in c",
            Verdict.FAIL,
            lambda b: Setting("claim O(c^0/N + c^0/sqrt(M))", _mixture(b), classes=b.classes,
                              tv_c_orders=(0.0, 0.0))),
    Control("A5m-covariance-shift", "A5m", "c = 4, test covariance I, training Toeplitz(0.5)",
            Verdict.FAIL,
            lambda b: Setting("c=4, test cov = I", _mixture(b, test_cov=np.eye(b.class_dim)))),
    Control("A4-covariance-shift", "A4", "test covariance I, training covariance Toeplitz(0.5)",
            Verdict.FAIL,
            lambda b: Setting("test cov = I", _prior("antipodal", b, test_cov=_shifted_test_cov(b)))),
    Control("A5-unequal-norms", "A5", "unequal Lambda^-1-norms: mu_minus = -0.5 mu_plus",
            Verdict.FAIL,
            lambda b: Setting("antipodal, kappa=0.5", _prior("antipodal", b, minus_scale=0.5))),
    Control("A5-unbalanced-independent", "A5", "P(y=+1) = 0.7, independent prior", Verdict.FAIL,
            lambda b: Setting("independent, p=0.7", _prior("independent", b, p_plus=0.7))),
    Control("A5-unbalanced-antipodal", "A5",
            "P(y=+1) = 0.7, antipodal prior: the Bayes posterior gains log(p/(1-p))",
            Verdict.FAIL,
            lambda b: Setting("antipodal, p=0.7", _prior("antipodal", b, p_plus=0.7))),
    Control("A5-covariance-shift", "A5", "test covariance I, training covariance Toeplitz(0.5)",
            Verdict.FAIL,
            lambda b: Setting("test cov = I", _prior("antipodal", b, test_cov=_shifted_test_cov(b)))),
    Control("A5-rate-too-fast", "A5", "claimed rates O(1/N^2) and O(1/M)", Verdict.FAIL,
            lambda b: Setting("claim O(1/N^2 + 1/M)", _prior("antipodal", b),
                              n_order=-2.0, m_order=-1.0)),
)
