"""Paper B: in-context convergence of a one-layer softmax-attention transformer on linear
regression with structured features (Huang, Cheng, Liang; SPEC §B; seed 001).

Claims B1 (balanced: finite time, two phases), B2 (imbalanced: stage order, one and four
phases) and B3 (attention on the target), each a check module of this package; the controls
are in :mod:`checks.softmax_regression.controls`, the settings, budgets and the
reconstructed options in :mod:`checks.softmax_regression.setting`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    # exact GD on the population loss: every check is the same on every seed
    seed_free=frozenset({*CHECKS, *(c.id for c in CONTROLS)}),
)
