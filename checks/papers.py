"""The papers the suite verifies: the one registration point (:class:`checks.paper.Paper`).

A new paper is a package in ``theory/``, ``numerics/`` and ``checks/`` whose
``checks/<name>/__init__.py`` defines ``PAPER``, and its name on one line here.
"""

from __future__ import annotations

from importlib import import_module

from checks.paper import Control, Paper

#: the paper packages under checks/, in report order
PACKAGES: tuple[str, ...] = (
    "gaussian_mixtures",       # paper A: Shen, Zhou, Yang, Shen
    "softmax_regression",      # paper B: Huang, Cheng, Liang
)

PAPERS: tuple[Paper, ...] = tuple(import_module(f"checks.{name}").PAPER for name in PACKAGES)


def paper_by_id(paper_id: str) -> Paper:
    """The registered paper with this id."""
    return next(p for p in PAPERS if p.id == paper_id)


def paper_of(claim: str) -> Paper:
    """The paper a claim id belongs to."""
    return next(p for p in PAPERS if claim in p.claims)


def all_claims() -> tuple[str, ...]:
    """Every claim id, paper by paper, in report order (what ``run`` checks by default)."""
    return tuple(c for p in PAPERS for c in p.claims)


def selection(claims: list[str]) -> list[str]:
    """The claims a run checks: each once, in the order given (``--claims A5,A5`` runs A5
    once); the report groups them by paper."""
    return list(dict.fromkeys(claims))


def controls_of(claims: list[str]) -> list[Control]:
    """The controls of the selected claims, paper by paper."""
    return [c for p in PAPERS for c in p.controls if c.claim in claims]
