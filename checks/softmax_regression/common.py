"""What paper B's checks share: the model and floor of a setting and the time to eps (the
trajectory evidence their figures are drawn from is :mod:`checks.trajectory`)."""

from __future__ import annotations

import numpy as np

from checks.decision import Decision, Quantile, at_most
from checks.softmax_regression.setting import EPSILON, EPSILON_REASON, Budget, Setting
from checks.verdict import Outcome
from numerics.config import ConfigError
from numerics.softmax_regression import floor, gd
from numerics.softmax_regression.models import LinearBalanced
from numerics.softmax_regression.symmetric import BalancedFamily, ImbalancedFamily

#: "near-zero prediction error": at most eps, exactly (the interval's ends are exact)
NEAR_ZERO = at_most(EPSILON, 0.0, EPSILON_REASON)


def model_and_floor(setting: Setting):
    """The exact population model of the setting (a symmetry family, or linear attention)
    and its floor."""
    if setting.attention == "linear":
        if setting.law != "balanced":
            raise ConfigError("law", "linear attention is modelled on the balanced law only")
        model = LinearBalanced(setting.K, setting.N)
        value = model.floor()
        return model, floor.Floor(value, np.full(setting.K, value))
    if setting.law == "balanced":
        return BalancedFamily(setting.K, setting.N), floor.balanced(setting.K, setting.N)
    return (ImbalancedFamily(setting.K, setting.N, setting.dominant),
            floor.imbalanced(setting.K, setting.N, setting.dominant))


def time_to_eps(model, fl: floor.Floor, budget: Budget) -> tuple[int, float]:
    """The first GD step at which L is within EPSILON of the floor (-1: not within
    ``budget.max_steps``), and the pmf mass dropped."""
    return gd.first_time_below(model, budget.eta, lambda loss: loss - fl.total <= EPSILON,
                               budget.max_steps)


def times_to_eps(model, fl: floor.Floor, budget: Budget) -> tuple[np.ndarray, float]:
    """The first GD step at which each feature's error is within EPSILON of its floor (-1:
    not within ``budget.max_steps``), and the pmf mass dropped."""
    return gd.first_times(model, budget.eta, lambda p: p.feature_loss - fl.feature <= EPSILON,
                          budget.max_steps)


def near_zero(model, fl: floor.Floor, budget: Budget, features: bool
              ) -> tuple[float, tuple[float, float], int, str]:
    """Near-zero error in finite time, read on the exact loss: GD until the error is at most
    EPSILON (each feature's, if ``features``), or within EPSILON / 10 of the floor above it
    (it cannot go lower), or a stationary point, or the budget.  Returns the error reached,
    the interval ``[lowest reachable, reached]`` -- the floor, or the value itself where GD
    is stationary -- the last step, and how the run ended."""
    def error(point) -> np.ndarray:
        return point.feature_loss if features else np.array([point.loss])

    target = fl.feature if features else np.array([fl.total])

    def done(point) -> bool:
        e = error(point)
        return bool(np.all((e <= EPSILON) | (e - target <= EPSILON / 10)))

    t, point, stationary = gd.run_until(model, budget.eta, done, budget.max_steps)
    reached = float(error(point).max())
    lowest = reached if stationary else float(target.max())
    how = ("stationary" if stationary else "within eps" if reached <= EPSILON
           else "at the floor" if done(point) else "budget exhausted")
    return reached, (lowest, reached), t, how


def near_zero_outcome(name: str, label: str, reached: float, interval: tuple[float, float],
                      steps: int, how: str, evidence: dict | None = None,
                      figure: str | None = None) -> Outcome:
    """``at_most(eps, 0)`` on ``[lowest reachable, reached]`` (B1, B2; :func:`near_zero`)."""
    return Outcome(name=name, setting=label, statistic=reached,
                   uncertainty={"method": f"exact loss; GD ended after {steps} steps ({how}); the "
                                          "interval's lower end is the floor, or the value itself "
                                          "at a stationary point"},
                   decision=Decision(NEAR_ZERO, interval, None, Quantile.EXACT),
                   evidence=evidence or {}, figure=figure)
