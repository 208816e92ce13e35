"""The claim registry (SPEC §A.4) and the negative controls (SPEC §A.6).

A claim is its check module (``ID``, ``STATEMENT``, ``METHOD``, ``outcomes``) plus the
base settings it runs on.  A control runs the *same* check code on a setting that breaks
an assumption and states the verdict SPEC §A.6 says must come out; it is *detected* when
the check returns exactly that verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from checks import (
    a1_convexity,
    a2_gradient_descent,
    a3_minimizer,
    a3m_minimizer,
    a4_lda,
    a5_inference_error,
    a5m_inference_error,
)
from checks.setting import Budget, Setting, base_mixture, base_prior
from checks.verdict import Verdict

CLAIMS: dict[str, ModuleType] = {
    m.ID: m for m in (a1_convexity, a2_gradient_descent, a3_minimizer, a4_lda, a5_inference_error,
                      a3m_minimizer, a5m_inference_error)
}

#: Which prior kinds each claim's base check runs on (dimensions come from the budget).
BASE_KINDS: dict[str, tuple[str, ...]] = {
    "A1": ("antipodal",),
    "A2": ("antipodal",),
    "A3": ("antipodal", "independent"),
    "A4": ("antipodal",),
    "A5": ("antipodal",),
}


#: The multi-class claims run on the c-class prior; by default they sweep c themselves.
MULTICLASS: tuple[str, ...] = ("A3m", "A5m")

#: The claims with a c-class form, which ``--classes C`` runs on the c-class model.
CLASS_FORM: tuple[str, ...] = ("A1", "A2", *MULTICLASS)

#: What ``icl-verify run`` checks unless ``--claims`` says otherwise.
DEFAULT_CLAIMS: tuple[str, ...] = tuple(CLAIMS)


def selection(claims: list[str]) -> list[str]:
    """The claims a run checks: each once, in the order given (``--claims A5,A5`` runs A5 once)."""
    return list(dict.fromkeys(claims))


def base_settings(claim: str, budget: Budget, classes: int | None = None) -> list[Setting]:
    """The settings a claim's base check runs on.

    ``classes`` (``run --classes C``): A1 and A2 run on the C-class softmax model, A3m and
    A5m at c = C only instead of their sweep over ``budget.classes``; the binary-only claims
    are unchanged.  None: A1, A2 binary; A3m, A5m sweep c.
    """
    d = budget.class_dim
    if classes is not None and claim in CLASS_FORM:
        return [Setting(label=f"independent, d={d}, c={classes}", prior=_mixture(budget, classes))]
    if claim in MULTICLASS:
        return [Setting(label=f"independent, d={d}", prior=_mixture(budget), classes=budget.classes)]
    return [Setting(label=f"{kind}, d={budget.dims[kind]}",
                    prior=base_prior(kind, budget.dims[kind]))
            for kind in BASE_KINDS[claim]]


@dataclass(frozen=True)
class Control:
    """A broken setting on which a claim's check must return ``expected``."""

    id: str
    claim: str
    description: str
    expected: Verdict
    make: Callable[[Budget], Setting]


def _prior(kind: str, budget: Budget, **changes):
    return base_prior(kind, budget.dims[kind]).with_(**changes)


def _mixture(budget: Budget, classes: int = 4, **changes):
    return base_mixture(budget.class_dim, classes).with_(**changes)


def _shifted_test_cov(budget: Budget) -> np.ndarray:
    return np.eye(budget.dims["antipodal"])  # training Lambda is Toeplitz(0.5)


CONTROLS: tuple[Control, ...] = (
    Control("A1-brier", "A1",
            "squared error of sigma(yhat) instead of cross-entropy (non-convex; stands in for "
            "paper B's softmax control, which waits for the paper-B issue)",
            Verdict.FAIL, lambda b: Setting("brier loss", _prior("antipodal", b), loss="brier")),
    Control("A2-step-too-large", "A2",
            "step eta = 2.5 / ell, past the stable range 2 / ell: q = 1.5 and GD diverges",
            Verdict.FAIL, lambda b: Setting("antipodal, eta = 2.5/ell", _prior("antipodal", b),
                                            eta_factor=2.5)),
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
    Control("A3m-c-rate-too-fast", "A3m", "claimed max|G_ij| = O(1/N) with no growth in c (c^0)",
            Verdict.FAIL,
            lambda b: Setting("claim O(c^0/N)", _mixture(b), classes=b.classes, g_c_order=0.0)),
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
