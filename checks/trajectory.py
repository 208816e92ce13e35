"""The evidence a ``trajectory`` figure is drawn from: a GD trajectory on paper B's population
loss (:class:`numerics.softmax_regression.gd.Trajectory`) thinned for logarithmic axes.

Paper B's checks draw it, and so does paper A's A2 control on paper B's loss; it lives in the
core so that paper A's cells do not import paper B's check package (a paper's code version,
:func:`checks.calibrate.code_version`, covers what its cells import)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numerics.softmax_regression.floor import Floor
    from numerics.softmax_regression.gd import Trajectory


def trajectory_evidence(traj: Trajectory, fl: Floor, points: int, phases: list[dict],
                        features: list[int], epsilon: float | None) -> dict:
    """The loss, the per-feature losses and attention of ``traj`` at about ``points`` steps
    (geometrically spaced), the floor ``fl`` (:class:`numerics.softmax_regression.floor.Floor`),
    the phases, and ``epsilon`` of "near-zero error" (None: no such line is drawn)."""
    t = traj.t
    wanted = np.unique(np.concatenate([[0], np.geomspace(1, max(t[-1], 1), points).astype(int)]))
    idx = np.unique(np.searchsorted(t, wanted).clip(0, len(t) - 1))
    return {"t": t[idx].tolist(), "loss": traj.loss[idx].tolist(),
            "feature_loss": traj.feature_loss[idx][:, features].T.tolist(),
            "features": [f + 1 for f in features],
            "floor": fl.total, "feature_floor": fl.feature[features].tolist(),
            "attention": traj.attention[idx][:, features].T.tolist(), "phases": phases,
            "epsilon": epsilon}
