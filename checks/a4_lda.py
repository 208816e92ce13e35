"""A4: the trained model approximates LDA (the Bayes classifier) as N, M grow
(seed 002, Remark 3.8).

Method (SPEC §A.5): the disagreement rate ``P(sign(yhat) != Bayes decision)`` by Monte
Carlo with common random numbers along ``N = M`` (``W = W*(N)``), which must decrease to 0.
"Decreasing to 0" is checked as a rate: ``sign(a_M^T W x_q)`` differs from the Bayes
decision only when x_q falls in the wedge between two hyperplanes whose normals differ by
an angle ~ M^-1/2, so the disagreement is O(M^-1/2); a floor (e.g. a shifted test
covariance) makes the fitted slope ~0 and FAILs.  (For an invariant prior W*(N) is a
positive multiple of Lambda^-1, so the sign does not depend on N at all.)
"""

from __future__ import annotations

import numpy as np

from checks.common import crn_grid, per_check_confidence, rate_outcome
from checks.setting import Budget, Setting
from checks.verdict import Outcome
from numerics.sufficient_stats import draw_noise
from numerics.tv import disagreement_per_sample, trained_weights

ID = "A4"
STATEMENT = "the trained model approximates LDA (Bayes) as N, M grow"
METHOD = "Monte Carlo disagreement rate with common random numbers; WLS log-log fit"


def outcomes(setting: Setting, budget: Budget, rng: np.random.Generator) -> list[Outcome]:
    prior = setting.prior
    noise = draw_noise(rng, budget.a4_size, prior.d)
    grid = budget.m_grid
    w_of = {k: trained_weights(prior, k, rng).w for k in grid}
    y, cov = crn_grid(lambda k: disagreement_per_sample(prior, noise, k, w_of[k]), grid)
    return [rate_outcome(
        "slope of the disagreement rate with LDA along N = M", setting.label,
        np.array(grid, dtype=float), y, cov, claimed=setting.m_order, correction=0.5,
        confidence=per_check_confidence(budget.confidence, 1),
        resolution=budget.slope_resolution, x_name="N = M", y_name="P(disagree)",
        method="CRN Monte Carlo covariance, sandwich WLS",
    )]
