"""What paper A's multi-class checks (A3m, A5m) share: the sweep over c, the training ray
alpha_c(N) and the asymptotic constants g1(c), C_N(c), C_M(c) on each law (computed once per
run, :meth:`checks.context.RunContext.shared`), the windows of N and of c the rate fits use,
and the largest c a profile can fit."""

from __future__ import annotations

import argparse
import math

import numpy as np

from checks.common import points_needed
from checks.context import RunContext
from checks.gaussian_mixtures.setting import (
    LIMIT_MARGIN_FRACTION,
    LIMIT_MARGIN_REASON,
    Budget,
    Setting,
)
from numerics import memory
from numerics.config import ConfigError
from numerics.gaussian_mixtures.class_constants import class_constants
from numerics.gaussian_mixtures.constants import Constants
from numerics.gaussian_mixtures.minimizer import ClassRay, class_ray
from numerics.gaussian_mixtures.priors import MixturePrior
from numerics.gaussian_mixtures.sufficient_stats import draw_class_noise


def class_priors(setting: Setting) -> tuple[list[MixturePrior], bool]:
    """The c-class priors a multi-class check runs on, and whether it sweeps c.

    A sweep (``setting.classes``) varies c under the paper's assumptions (equal norms,
    uniform class prior); otherwise the check runs on the setting's own prior only.
    """
    if setting.classes is None:
        return [setting.prior], False
    return _sweep(setting.prior, setting.classes), True


def _sweep(template: MixturePrior, classes: tuple[int, ...]) -> list[MixturePrior]:
    if not template.satisfies_paper_assumptions:
        raise ValueError("classes: a sweep over c needs equal norms and a uniform class prior")
    return [template.with_(classes=c, norm_scales=None, class_prior=None) for c in classes]


#: the smallest c the exponent-of-c fits use.  Their corrections are powers of 1/c: each
#: constant is an expectation of smooth functions of softmax-weighted averages over the c
#: i.i.d. means (g1's F0'' and F1', C_M's variances; C_N's |.| is of such an average minus one
#: term, smooth in expectation), and the expectation of a smooth function of an average of c
#: i.i.d. terms has an expansion in 1/c (the 1/sqrt(c) fluctuations enter squared); the
#: query's own mean is one term of c, another 1/c.  From c = 2 the 1/c and 1/c^2 corrections
#: do not absorb the pre-asymptotic curvature (Birge ratios 2.4, 2.8 and 1.0 for |g1|/c, C_N
#: and C_M over c = 2..1024), from c = 8 they do (1.0, 1.0, 1.0; fitted exponents within
#: 0.002 of those from c = 32), at 10^5 draws per c, seed c
CONSTANT_FIT_START = 8


def constant_sweep(setting: Setting, budget: Budget, context: RunContext
                   ) -> list[tuple[MixturePrior, Constants]]:
    """g1(c), C_N(c) and C_M(c) (:func:`numerics.gaussian_mixtures.class_constants.class_constants`)
    for c in ``budget.constant_classes``, on the setting's law with c varied, each computed
    once per run."""
    return [(p, class_constants_of(p, budget, context))
            for p in _sweep(setting.prior, budget.constant_classes)]


def constant_exponent_points(sweep: list[tuple[MixturePrior, Constants]], constant: str
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """c, the constant (``"g1"``, ``"tv_n"`` or ``"tv_m"``, as a magnitude) and its standard
    error on the exponent fits' window, c >= :data:`CONSTANT_FIT_START`."""
    rows = [(p.classes, abs(getattr(k, constant).value), getattr(k, constant).error)
            for p, k in sweep if p.classes >= CONSTANT_FIT_START]
    return tuple(np.array(v, dtype=float) for v in zip(*rows, strict=True))


def class_constants_of(prior: MixturePrior, budget: Budget, context: RunContext) -> Constants:
    """The constants of one c-class law at ``budget.constant_size`` draws, shared by the run."""
    return context.shared("class constants", prior.describe(), (budget.constant_size,),
                          lambda s: class_constants(prior, s, budget.constant_size))


def training_ray(prior: MixturePrior, budget: Budget, context: RunContext,
                 grid: tuple[int, ...] | None = None) -> ClassRay:
    """alpha_c(N) on ``grid`` (default: the budget's N grid) for ``prior``'s training law,
    shared by every check of the run that trains on that law."""
    grid = budget.class_n_grid if grid is None else grid
    law = {k: v for k, v in prior.describe().items() if k != "test_cov"}
    return context.shared("class ray", law, (grid, budget.class_mc_size), lambda s: class_ray(
        prior, draw_class_noise(s, budget.class_mc_size, prior.d, prior.classes), grid))


#: the asymptotic windows of the c-class rate fits start at this multiple of c^2
WINDOW_FACTOR = 4


def asymptotic_window(x: np.ndarray, classes: int) -> np.ndarray:
    """Which points of an N (or M) grid a c-class rate fit uses: ``x >= 4 c^2``.

    The pre-asymptotic range grows with c, as the prompt must hold many examples of every
    class.  Measured at the quick budget (seed 20241015), the fits with two correction terms
    have Birge ratios above 1 from N >= c^2 (4.4, 1.6 and 2.4 for c = 8, 12, 16 in max|G_ij|)
    and from M >= 16 (3.3 and 5.1 for c = 12, 16 in E[TV]); from ``4 c^2`` every one is 1.0
    and the fitted slopes move by at most 0.005 when the window starts at 8 c^2.
    """
    return np.asarray(x) >= WINDOW_FACTOR * classes**2


def largest_classes(budget: Budget) -> int:
    """The largest c whose N- and M-slope fits have their points: :func:`asymptotic_window` on
    at least :func:`points_needed` points of both of the budget's grids."""
    needed = points_needed(correction=True)
    most = []
    for grid in (sorted(budget.class_n_grid), sorted(budget.class_m_grid)):
        most.append(math.isqrt(grid[-needed] // WINDOW_FACTOR) if len(grid) >= needed else 1)
    return min(most)


def limit_margin(smallest: float, what: str) -> tuple[float, str]:
    """The margin of "tends to 0" (A4's limit, A3m's alpha_c(inf) = c) and its reason: a
    tenth of ``smallest``, the smallest ``what`` measured (NaN, hence INCONCLUSIVE, where no
    positive value was measured to compare with)."""
    margin = LIMIT_MARGIN_FRACTION * smallest if smallest > 0 else math.nan
    return margin, (f"{LIMIT_MARGIN_FRACTION:g} x the smallest {what} ({smallest:.3g}): "
                    f"{LIMIT_MARGIN_REASON}")


def check_classes(args: argparse.Namespace, budget: Budget) -> None:
    """``run --classes C``: C within what the profile's N grid can fit; and the run's largest
    allocation -- the c-class ray at C (or at the largest c of the profile's sweep) or A3's
    reduced quadrature -- within ``--max-memory``."""
    if args.classes is not None:
        if args.classes < 2:
            raise ConfigError("classes", f"must be >= 2, got {args.classes}")
        most = largest_classes(budget)
        if args.classes > most:
            raise ConfigError("classes", f"c = {args.classes} needs N, M >= {WINDOW_FACTOR} c^2 = "
                                         f"{WINDOW_FACTOR * args.classes**2} on at least "
                                         f"{points_needed(correction=True)} points of the {budget.name} "
                                         f"profile's N and M grids (up to {max(budget.class_n_grid)}, "
                                         f"{max(budget.class_m_grid)}); "
                                         f"at most c = {most} at this profile")
    classes = max(budget.classes) if args.classes is None else args.classes
    draws = max(budget.class_mc_size, budget.class_tv_size, budget.a1_eval_size, budget.a2_size)
    need = max(memory.class_ray(draws, classes, budget.class_dim), memory.QUADRATURE)
    what = f"paper A at the {budget.name} profile (c = {classes}, {draws} draws; A3's quadrature)"
    memory.require_fixed(need, args.max_memory, "classes", what)
    # each local worker process may hold one such allocation at once
    processes = 1 if getattr(args, "scheduler", None) else getattr(args, "jobs", None) or 1
    if processes > 1:
        fitting = max(1, int(args.max_memory * memory.GIB // need))
        memory.require(need * processes, args.max_memory, "jobs",
                       f"{what}, in each of {processes} worker processes,", fits=f"--jobs {fitting} would")
