"""Gradient descent ``Q <- Q - eta grad L(Q)`` from ``Q_0 = 0`` (SPEC §B.2) on any model
with ``start``, ``evaluate(params) -> Point`` and the orbit gradient in its own parameters
(:mod:`.symmetric`, :mod:`.models`): the exact population loss, so the trajectory is exact."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from numerics.softmax_regression.symmetric import Point


@dataclass(frozen=True)
class Trajectory:
    """The population quantities at the recorded steps ``t`` (rows), and the largest pmf mass
    any evaluation dropped."""

    t: np.ndarray
    loss: np.ndarray
    loss_stderr: np.ndarray    # Monte Carlo's standard error of the loss (0: exact)
    feature_loss: np.ndarray   # (T, K)
    attention: np.ndarray      # (T, K)
    rival: np.ndarray          # (T, K)
    rising: np.ndarray         # (T, K) bool
    params: np.ndarray         # the parameters at the last step
    dropped: float


#: a gradient this small (max norm) is a stationary point: GD no longer moves the loss
STATIONARY = 1e-13


def iterates(model: Any, eta: float, steps: int) -> Iterator[tuple[int, np.ndarray, Point]]:
    """``(t, params, point)`` for t = 0 .. steps: the one GD loop every function here reads.
    The step to t + 1 is taken only when the caller asks for it, so a caller that stops at t
    holds the parameters of t."""
    params = np.array(model.start, dtype=float)
    for t in range(steps + 1):
        point = model.evaluate(params)
        yield t, params, point
        params = params - eta * point.orbit_gradient


def recorded_steps(steps: int, every: int) -> np.ndarray:
    """t = 0, every, 2 every, ... and the last step."""
    t = np.arange(0, steps + 1, every)
    return t if t[-1] == steps else np.append(t, steps)


def descend(model: Any, eta: float, steps: int, every: int = 1) -> Trajectory:
    """``steps`` steps of GD, recording t = 0, every, 2 every, ... and the last step."""
    if hasattr(model, "path"):  # a one-parameter family runs its own loop (BalancedFamily.path)
        t = recorded_steps(steps, every)
        fields = model.path(eta, steps, t)
        return Trajectory(t=t, loss_stderr=np.zeros(t.size), dropped=model.dropped, **fields)
    recorded, points = [], []
    for t, params, point in iterates(model, eta, steps):
        last = params
        if t % every == 0 or t == steps:
            recorded.append(t)
            points.append(point)
    return Trajectory(
        t=np.array(recorded), loss=np.array([p.loss for p in points]),
        loss_stderr=np.array([p.loss_stderr for p in points]),
        feature_loss=np.array([p.feature_loss for p in points]),
        attention=np.array([p.attention for p in points]),
        rival=np.array([p.rival for p in points]), rising=np.array([p.rising for p in points]),
        params=last, dropped=max(p.dropped for p in points))


def first_time_below(model: Any, eta: float, reached: Callable[[float], bool], max_steps: int
                     ) -> tuple[int, float]:
    """The first step at which ``reached(L)`` holds of the loss (-1: not within ``max_steps``),
    and the largest pmf mass dropped: :func:`first_times` on the loss alone, which a
    one-parameter family computes without a :class:`Point` per step."""
    if hasattr(model, "first_time"):  # BalancedFamily.first_time
        return model.first_time(eta, reached, max_steps), model.dropped
    first, dropped = first_times(model, eta, lambda point: reached(point.loss), max_steps)
    return int(first[0]), dropped


def first_times(model: Any, eta: float, reached: Callable[[Point], np.ndarray], max_steps: int
                ) -> tuple[np.ndarray, float]:
    """The first step at which each of ``reached(point)``'s entries holds (-1: not within
    ``max_steps``), without recording the trajectory; and the largest pmf mass dropped."""
    first: np.ndarray | None = None
    dropped = 0.0
    for t, _, point in iterates(model, eta, max_steps):
        dropped = max(dropped, point.dropped)
        hit = np.atleast_1d(reached(point))
        if first is None:
            first = np.full(hit.shape, -1)
        first[(first < 0) & hit] = t
        if np.all(first >= 0):
            break
    assert first is not None
    return first, dropped


def run_until(model: Any, eta: float, done: Callable[[Point], bool], max_steps: int
              ) -> tuple[int, Point, bool]:
    """GD until ``done(point)``, a stationary point, or ``max_steps``: the last step, its
    point, and whether it is stationary."""
    for t, _, point in iterates(model, eta, max_steps):
        stationary = bool(np.max(np.abs(point.orbit_gradient)) <= STATIONARY)
        if done(point) or stationary or t == max_steps:
            return t, point, stationary
    raise AssertionError("unreachable")
