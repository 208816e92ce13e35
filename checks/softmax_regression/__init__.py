"""Paper B: in-context convergence of a one-layer softmax-attention transformer on linear
regression with structured features (Huang, Cheng, Liang; SPEC §B; seed 001).

Claims B1 (balanced: finite time, two phases), B2 (imbalanced: stage order, one and four
phases) and B3 (attention on the target), each a check module of this package; the controls
are in :mod:`checks.softmax_regression.controls`, the settings, budgets and the
reconstructed options in :mod:`checks.softmax_regression.setting`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from checks.paper import Paper
from checks.softmax_regression import b1_balanced, b2_imbalanced, b3_attention
from checks.softmax_regression.controls import CONTROLS
from checks.softmax_regression.figures import FIGURES
from checks.softmax_regression.setting import N_PER_K, PROFILES, Budget, Setting

CHECKS = {m.ID: m for m in (b1_balanced, b2_imbalanced, b3_attention)}


def base_settings(claim: str, budget: Budget, options: Mapping[str, Any]) -> list[Setting]:
    """B1 on the balanced law at K = ``b1_K``, N = 8K (and its K sweep); B2 on the imbalanced
    law (p_1 = 1/2); B3 on the balanced law at K = ``b3_K``."""
    if claim == "B1":
        K = budget.b1_K
        return [Setting(label=f"balanced, K={K}, N={N_PER_K * K}", K=K, N=N_PER_K * K)]
    if claim == "B2":
        return [Setting(label=f"imbalanced, K={budget.b2_K}, N={budget.b2_N}, p_1=0.5",
                        K=budget.b2_K, N=budget.b2_N, law="imbalanced")]
    return [Setting(label=f"balanced, K={budget.b3_K}, N={budget.b3_N}", K=budget.b3_K, N=budget.b3_N)]


#: the dominant feature's probability p_1 of an imbalanced instance: Theta(1), on both sides of
#: the base 1/2, and above every other feature's for K >= 4 ((1 - 0.3) / 3 < 0.3).  B2's phase
#: counts are readings, not gated: on many instances (every one with p_1 <= 0.44 in a sample of
#: 12) the stated rule sees two phases of the dominant feature's queries, not the abstract's
#: one (README, Notes on SPEC)
DOMINANT_RANGE = (0.3, 0.7)


def instance(settings: list[Setting], budget: Budget, rng: np.random.Generator) -> list[Setting]:
    """A check on a random instance (a calibration's trial: exact GD gives the same answer on
    every seed): each setting gets K uniform on max(4, ceil(K/2))..2K, on the imbalanced law
    p_1 uniform on :data:`DOMINANT_RANGE`, and the N that multiplies the rarest feature's
    expected count N p_min by r, log-uniform on [1, 2] (rounded up).  So a setting within the
    paper's assumptions (N p_min >= 8) stays within them, and the prompts a control makes too
    short (N p_min = 1 or 2) stay too short for the floor to fall below eps; linear attention
    and a claim made too strong are kept.  The ranges (K = 4..16 for B3, N / K = 8..16 for B1's
    K sweep, which runs at the instance's N / K) are those the tolerances' reasons were measured
    on (:mod:`checks.softmax_regression.setting`)."""
    varied = []
    for setting in settings:
        K = int(rng.integers(max(4, -(-setting.K // 2)), 2 * setting.K + 1))
        dominant = (float(rng.uniform(*DOMINANT_RANGE)) if setting.law == "imbalanced"
                    else setting.dominant)
        count = setting.N * setting.rarest * float(np.exp(rng.uniform(0.0, np.log(2.0))))
        trial = replace(setting, K=K, dominant=dominant)
        N = math.ceil(count / trial.rarest - 1e-9)
        changed = [("K", setting.K, K), ("N", setting.N, N)]
        if setting.law == "imbalanced":
            changed.append(("p_1", f"{setting.dominant:g}", f"{dominant:.3g}"))
        label = setting.label
        for name, old, value in changed:
            label = (label.replace(f"{name}={old}", f"{name}={value}") if f"{name}={old}" in label
                     else f"{label}, {name}={value}")
        varied.append(replace(trial, N=N, label=label))
    return varied


def _commands(subparsers):
    from checks.softmax_regression.commands import add_commands
    return add_commands(subparsers)


PAPER = Paper(
    id="B",
    title="In-context convergence of transformers: softmax attention on structured features",
    source="Huang, Cheng, Liang, arXiv 2310.05249, ICML 2024 (seed 001)",
    spec="SPEC §B",
    checks=CHECKS,
    claims=tuple(CHECKS),
    controls=CONTROLS,
    profiles=PROFILES,
    base_settings=base_settings,
    commands=_commands,
    figures=FIGURES,
    controls_spec="SPEC §B.3",
    # exact GD on the population loss: every check is the same on every seed, so a
    # calibration runs each on a random instance
    seed_free=frozenset({*CHECKS, *(c.id for c in CONTROLS)}),
    varied=frozenset({*CHECKS, *(c.id for c in CONTROLS)}),
    instance=instance,
)
