"""Paper A: in-context classification of Gaussian mixtures by a one-layer linear-attention
transformer (Shen, Zhou, Yang, Shen; SPEC §A; seeds 000, 002).

Claims A1-A5 (binary) and A3m, A5m (c classes), each a check module of this package; the
negative controls are in :mod:`checks.gaussian_mixtures.controls`, the settings and budgets
in :mod:`checks.gaussian_mixtures.setting`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from checks.arguments import integer
from checks.gaussian_mixtures import (
    a1_convexity,
    a2_gradient_descent,
    a3_minimizer,
    a3m_minimizer,
    a4_lda,
    a5_inference_error,
    a5m_inference_error,
)
from checks.gaussian_mixtures.classes import check_classes
from checks.gaussian_mixtures.controls import CONTROLS
from checks.gaussian_mixtures.figures import FIGURES
from checks.gaussian_mixtures.setting import PROFILES, Budget, Setting, base_mixture, base_prior
from checks.paper import Paper, RunOption

CHECKS = {m.ID: m for m in (a1_convexity, a2_gradient_descent, a3_minimizer, a4_lda,
                            a5_inference_error, a3m_minimizer, a5m_inference_error)}

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

#: The claims with a c-class form, which ``run --classes C`` runs on the c-class model.
CLASS_FORM: tuple[str, ...] = ("A1", "A2", *MULTICLASS)


def base_settings(claim: str, budget: Budget, options: Mapping[str, Any]) -> list[Setting]:
    """The settings a claim's base check runs on.

    ``options["classes"]`` (``run --classes C``): A1 and A2 run on the C-class softmax model,
    A3m and A5m at c = C only instead of their sweep over ``budget.classes``; the binary-only
    claims are unchanged.  None: A1, A2 binary; A3m, A5m sweep c.
    """
    classes = options.get("classes")
    d = budget.class_dim
    if classes is not None and claim in CLASS_FORM:
        return [Setting(label=f"independent, d={d}, c={classes}", prior=base_mixture(d, classes))]
    if claim in MULTICLASS:
        return [Setting(label=f"independent, d={d}", prior=base_mixture(d, 4), classes=budget.classes)]
    return [Setting(label=f"{kind}, d={budget.dims[kind]}", prior=base_prior(kind, budget.dims[kind]))
            for kind in BASE_KINDS[claim]]


#: quadrature: the same on every seed (``tests/test_papers.py`` checks it)
SEED_FREE = ("A3", "A3-rate-too-fast", "A3-unbalanced-antipodal", "A3-unbalanced-independent",
             "A3-unequal-norms")


def instance(settings: list[Setting], budget: Budget, rng: np.random.Generator) -> list[Setting]:
    """A3, A5 or one of their controls on a random instance (a calibration's trial: their
    quadrature is the same on every seed): each setting's prior gets d uniform on 2..d_base (the budget's
    dimension for its prior: the quadrature's cost grows with d), R log-uniform on [0.5, 2],
    and Lambda = Q diag(v) Q^T with Q
    Haar-orthogonal and v log-uniform on [1/4, 4] (condition number at most 16), within the
    paper's assumptions; what a control breaks (unequal norms, an unbalanced prior, a claimed
    rate) is kept."""
    varied = []
    for setting in settings:
        d = int(rng.integers(2, max(budget.dims[setting.prior.kind], 2) + 1))
        snr = float(np.exp(rng.uniform(np.log(0.5), np.log(2.0))))
        q, r = np.linalg.qr(rng.standard_normal((d, d)))
        q = q * np.sign(np.diag(r))  # Haar: fix the signs QR leaves arbitrary
        cov = (q * np.exp(rng.uniform(np.log(0.25), np.log(4.0), d))) @ q.T
        cov = (cov + cov.T) / 2
        if not setting.prior.same_test_covariance:
            raise ValueError("settings: a test covariance shift is not varied by instance")
        base = f"d={setting.prior.d}"
        label = setting.label.replace(base, f"d={d}") if base in setting.label else f"{setting.label}, d={d}"
        varied.append(replace(setting, label=f"{label}, R={snr:.3g}, random Lambda",
                              prior=setting.prior.with_(d=d, snr=snr, cov=cov, test_cov=cov)))
    return varied


def _commands(subparsers):
    from checks.gaussian_mixtures.commands import add_commands
    return add_commands(subparsers)


PAPER = Paper(
    id="A",
    title="In-context classification of Gaussian mixtures by a one-layer linear-attention "
          "transformer",
    source="Shen, Zhou, Yang, Shen (seeds 000, 002)",
    spec="SPEC §A",
    checks=CHECKS,
    claims=tuple(CHECKS),
    controls=CONTROLS,
    profiles=PROFILES,
    base_settings=base_settings,
    run_options=(RunOption(
        "--classes", {"type": integer, "default": None, "metavar": "C",
                      "help": "paper A: an integer c >= 2: run A1, A2 on the c-class softmax model "
                              "and A3m, A5m at this c only; c is at most what the profile's N and M "
                              "grids can fit (N, M >= 4 c^2 on at least 5 grid points: smoke 8, "
                              "quick 32, full 64); default: A1, A2 binary, A3m, A5m sweep c"},
        check_classes),),
    flags={"cov": "--cov-diag"},
    commands=_commands,
    figures=FIGURES,
    controls_spec="SPEC §A.6",
    seed_free=frozenset(SEED_FREE),
    # A5's slopes on the antipodal law are quadrature too (its joint outcomes are Monte Carlo)
    varied=frozenset({*SEED_FREE, "A5", "A5-rate-too-fast"}),
    instance=instance,
    # the c-class ray on the base law and the constants g1(c), C_N(c), C_M(c) (classes.py)
    shared_work=(("A3m", "A5m"),),
)
