"""The one protocol through which the core (runner, reports, CLI) knows a paper.

A paper is a package in each layer (``theory/<name>``, ``numerics/<name>``,
``checks/<name>``); its ``checks/<name>/__init__.py`` defines one :class:`Paper`, and
:mod:`checks.papers` registers it in one line.  The core reads nothing else of a paper.

A *check* is a module with ``ID``, ``STATEMENT``, ``METHOD`` and
``outcomes(setting, budget, rng, context) -> list[Outcome]`` (:class:`Check`).  A claim is
a check run on the paper's base settings; a *control* runs a check on a setting that breaks
an assumption (or claims too much) and states the verdict that must come out; it is
*detected* when the check returns exactly that verdict.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from checks.context import RunContext
from checks.decision import Verdict
from checks.verdict import Outcome

#: the budget profiles every paper defines (the same names across papers)
PROFILE_NAMES: tuple[str, ...] = ("smoke", "quick", "full")


class Budget(Protocol):
    """What the core reads of a paper's budget: its profile name, its confidence level,
    and a JSON-able description (recorded in every report)."""

    name: str
    confidence: float

    def describe(self) -> dict[str, Any]: ...


class Setting(Protocol):
    """What the core reads of a setting: its label and a JSON-able description."""

    label: str

    def describe(self) -> dict[str, Any]: ...


class Check(Protocol):
    """A check module (see the module docstring)."""

    ID: str
    STATEMENT: str
    METHOD: str

    def outcomes(self, setting: Any, budget: Any, rng: np.random.Generator,
                 context: RunContext) -> list[Outcome]: ...


@dataclass(frozen=True)
class Control:
    """A broken setting on which the check ``check`` (default: the claim's) must return
    ``expected``; ``claim`` is the claim whose assumptions it breaks."""

    id: str
    claim: str
    description: str
    expected: Verdict
    make: Callable[[Any], Any]   # budget -> setting
    check: str | None = None

    @property
    def check_id(self) -> str:
        return self.check or self.claim


@dataclass(frozen=True)
class RunOption:
    """A ``run`` option a paper adds (``run --classes C``, paper A): its flag, argparse
    keywords, and a validator ``validate(args, budget)`` that raises
    :class:`numerics.config.ConfigError` naming the field."""

    flag: str
    kwargs: Mapping[str, Any]
    validate: Callable[[argparse.Namespace, Any], None] = lambda args, budget: None

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Paper:
    """One paper as the core sees it.

    ``checks`` maps a check id to its module (every claim's, plus any check only controls
    run); ``claims`` are the claim ids in report order; ``profiles`` the paper's budget per
    profile name (:data:`PROFILE_NAMES`); ``base_settings(claim, budget, options)`` the
    settings a claim runs on, given the values of the paper's ``run_options``;
    ``commands(subparsers)`` adds the paper's own subcommands and returns their handlers;
    ``flags`` names the option behind a field of a :class:`numerics.config.ConfigError`;
    ``seed_free`` and ``instance`` tell a calibration what to vary (:mod:`checks.calibrate`).
    """

    id: str
    title: str
    source: str
    spec: str                       # the SPEC section of its claims, e.g. "SPEC §A"
    checks: Mapping[str, Check]
    claims: tuple[str, ...]
    controls: tuple[Control, ...]
    profiles: Mapping[str, Budget]
    base_settings: Callable[[str, Any, Mapping[str, Any]], list[Any]]
    run_options: tuple[RunOption, ...] = ()
    #: the CLI flag of each field of the paper's settings whose flag is not ``--field-name``
    flags: Mapping[str, str] = field(default_factory=dict)
    #: the paper's own figure kinds (``Outcome.figure``), each a ``checks.plots.FigureKind``
    figures: Mapping[str, Any] = field(default_factory=dict)
    #: the SPEC section of its negative controls
    controls_spec: str = ""
    commands: Callable[[argparse._SubParsersAction], dict[str, Callable]] = field(
        default=lambda subparsers: {})
    #: claims and controls whose result does not depend on the seed (quadrature, exact GD):
    #: many seeds of one are one trial
    seed_free: frozenset[str] = frozenset()
    #: the checks a calibration runs on a random instance per seed (by :attr:`instance`): the
    #: seed-free ones, and those whose gating outcomes are partly exact (quadrature)
    varied: frozenset[str] = frozenset()
    #: ``instance(settings, budget, rng)``: a check's settings (a claim's base settings, a
    #: control's broken one) on a random instance, within the paper's assumptions but for what
    #: a control breaks (a calibration's trial); None: nothing is varied
    instance: Callable[[list[Any], Any, np.random.Generator], list[Any]] | None = None

    #: claims whose checks share computations through the run context (e.g. train on one law):
    #: on worker processes such claims, each with its controls, run in one process, so
    #: what they share is computed once (:func:`checks.runner.work_units`).  Only the run's
    #: speed depends on it: every shared computation draws from its own keyed stream
    shared_work: tuple[tuple[str, ...], ...] = ()

    def varies(self, check: str) -> bool:
        """Whether a calibration runs ``check`` on a random instance per seed."""
        return self.instance is not None and check in self.varied

    def describe(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "source": self.source, "spec": self.spec,
                "controls_spec": self.controls_spec or self.spec}
