"""Run claims and controls, paper by paper; every random stream descends from one
SeedSequence(seed), through the run's :class:`checks.context.RunContext`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from checks.context import RunContext
from checks.exit_status import ExitStatus, status_of
from checks.interrupt import as_completed
from checks.paper import Control, Paper
from checks.papers import PAPERS, paper_by_id, selection
from checks.verdict import CheckResult


def run_check(paper: Paper, check: str, settings: list[Any], budget: Any, context: RunContext,
              key: str) -> CheckResult:
    """One check of ``paper`` on the given settings, with the random stream keyed by ``key``."""
    module = paper.checks[check]
    rng = context.stream(key)
    start = time.perf_counter()
    outcomes = [o for s in settings for o in module.outcomes(s, budget, rng, context)]
    return CheckResult(
        id=key, statement=module.STATEMENT,
        outcomes=outcomes, seed=context.seed, budget=budget.describe(),
        settings={s.label: s.describe() for s in settings}, method=module.METHOD,
        elapsed_s=time.perf_counter() - start,
    )


@dataclass
class ControlResult:
    control: Control
    result: CheckResult

    @property
    def detected(self) -> bool:
        return self.result.verdict == self.control.expected

    def as_dict(self) -> dict:
        r = self.result.as_dict()
        return {
            "id": self.control.id, "claim": self.control.claim,
            "setting": self.control.description, "expected": self.control.expected.value,
            "verdict": self.result.verdict.value, "detected": self.detected,
            "statistic": r["statistic"], "stderr_or_ci": r["stderr_or_ci"],
            "criterion": r["criterion"], "deciding_outcome": r["deciding_outcome"],
            "seed": r["seed"], "settings": r["settings"], "outcomes": r["outcomes"],
            "elapsed_s": r["elapsed_s"],
        }


@dataclass
class PaperResult:
    """One paper's claims and controls as checked, at its budget."""

    paper: Paper
    budget: Any
    claims: list[CheckResult]
    controls: list[ControlResult]

    def as_dict(self) -> dict:
        return {**self.paper.describe(), "budget": self.budget.name,
                "claims": [c.as_dict() for c in self.claims],
                "controls": [c.as_dict() for c in self.controls]}


@dataclass
class RunResult:
    papers: list[PaperResult]
    shared_computations: int = 0   #: computations the checks shared, each run once


    @property
    def claims(self) -> list[CheckResult]:
        return [c for p in self.papers for c in p.claims]

    @property
    def controls(self) -> list[ControlResult]:
        return [c for p in self.papers for c in p.controls]

    @property
    def exit_status(self) -> ExitStatus:
        """See :func:`checks.exit_status.status_of`."""
        return status_of([(c.id, c.verdict.value) for c in self.claims],
                         [(c.control.claim, c.result.verdict.value, c.control.expected.value)
                          for c in self.controls])

    @property
    def ok(self) -> bool:
        return self.exit_status is ExitStatus.OK


def check_cell(paper_id: str, check: str, is_control: bool, profile: str, seed: int,
               options: Mapping[str, Any] | None = None, context: RunContext | None = None,
               vary_instance: bool = False) -> CheckResult:
    """One claim (on its paper's base settings) or one control of paper ``paper_id`` at
    ``profile``; with no ``context``, a fresh one for ``seed`` (a cell computed alone draws the
    numbers it draws in a whole run: streams are keyed by check id and shared law).

    ``vary_instance``: a check the paper varies (:meth:`Paper.varies`) runs on the random
    instance of stream ``"instance <check>"`` instead of its own settings (a calibration's
    trial)."""
    paper = paper_by_id(paper_id)
    budget = paper.profiles[profile]
    context = RunContext(seed) if context is None else context
    if is_control:
        control = next(c for c in paper.controls if c.id == check)
        check_id, settings = control.check_id, [control.make(budget)]
    else:
        check_id, settings = check, paper.base_settings(check, budget, dict(options or {}))
    if vary_instance and paper.varies(check):
        settings = paper.instance(settings, budget, context.stream(f"instance {check}"))
    return run_check(paper, check_id, settings, budget, context, check)


Job = tuple[str, str, bool]   #: (paper id, claim or control id, is a control)


def work_units(paper: Paper, claim_ids: list[str], controls: list[Control]) -> list[list[Job]]:
    """The jobs of one paper grouped so that checks which share computations run together: a
    claim with its controls (they reuse its grids), and claims the paper links in
    :attr:`Paper.shared_work` in one unit.  Units keep the report's order inside them."""
    unit_of = {c: c for c in claim_ids}
    for linked in paper.shared_work:  # merged transitively: groups that share a claim are one
        roots = {unit_of[c] for c in linked if c in unit_of}
        if roots:
            leader = min(roots, key=claim_ids.index)
            unit_of = {c: leader if root in roots else root for c, root in unit_of.items()}
    units: dict[str, list[Job]] = {}
    for c in claim_ids:
        units.setdefault(unit_of[c], []).append((paper.id, c, False))
    for control in controls:
        units[unit_of[control.claim]].append((paper.id, control.id, True))
    return list(units.values())


def check_cells(jobs: list[Job], profile: str, seed: int, options: Mapping[str, Any] | None = None
                ) -> tuple[list[CheckResult], int]:
    """One work unit (:func:`work_units`) in one :class:`RunContext`, on a worker: its results,
    and how many shared computations it ran."""
    context = RunContext(seed)
    return [check_cell(*job, profile, seed, options, context) for job in jobs], context.computed


def plan(claims: Iterable[str]) -> list[tuple[Paper, list[str], list[Control]]]:
    """Each paper with claims among ``claims``: its selected claims and their controls."""
    selected = selection(list(claims))
    return [(p, cl, co) for p, cl, co in ((paper, [c for c in selected if c in paper.claims],
                                            [c for c in paper.controls if c.claim in selected])
                                           for paper in PAPERS) if cl]


def units_of(papers_run: list[tuple[Paper, list[str], list[Control]]]) -> list[list[Job]]:
    """The work units of a run's :func:`plan` (:func:`work_units`), the ones with the most checks
    first: the longest tend to have the most, and one started last would leave a process idle
    at the end.  The order changes no number."""
    units = [unit for paper, claim_ids, controls in papers_run
             for unit in work_units(paper, claim_ids, controls)]
    return sorted(units, key=len, reverse=True)


def run(claims: Iterable[str], profile: str, seed: int,
        progress: Callable[[int, int, str], None] = lambda *_: None,
        options: Mapping[str, Any] | None = None, executor: Executor | None = None) -> RunResult:
    """Every selected claim on its paper's base settings at the paper's budget for
    ``profile`` (``options``: the values of the papers' run options), then every control of
    those claims.

    In this process (``executor`` None) one :class:`RunContext` serves the whole run, so checks
    share what they can compute once; on an executor (local processes, a Dask cluster) each
    work unit (:func:`work_units`) has its own context.  Every stream is keyed by its check or
    shared computation, so the results are the same either way.
    ``progress(done, total, label)`` is called before each check (in this process; on an
    executor once the units are sent, then as each finishes) and once at the end."""
    options = dict(options or {})
    papers_run = plan(claims)
    units = units_of(papers_run)
    total = sum(len(unit) for unit in units)
    results: dict[Job, CheckResult] = {}
    if executor is None:
        context = RunContext(seed)
        for paper, claim_ids, controls in papers_run:  # paper by paper, claims before controls
            for job in [(paper.id, c, False) for c in claim_ids] + [(paper.id, c.id, True) for c in controls]:
                progress(len(results), total, f"{'control' if job[2] else 'claim'} {job[1]}")
                results[job] = check_cell(*job, profile, seed, options, context)
        computed = context.computed
    else:
        futures = {executor.submit(check_cells, unit, profile, seed, options): unit for unit in units}
        progress(0, total, f"{len(units)} work unit{'s' if len(units) > 1 else ''} (claims with their "
                           "controls) sent to the workers")
        computed = 0
        for future in as_completed(futures):
            unit_results, unit_computed = future.result()
            results.update(zip(futures[future], unit_results, strict=True))
            computed += unit_computed
            claims_done = [job[1] for job in futures[future] if not job[2]]
            progress(len(results), total, f"finished {', '.join(claims_done)} and "
                                          f"{len(futures[future]) - len(claims_done)} controls")
    progress(total, total, "done")
    papers = [PaperResult(paper, paper.profiles[profile], [results[(paper.id, c, False)] for c in claim_ids],
                          [ControlResult(c, results[(paper.id, c.id, True)]) for c in controls])
              for paper, claim_ids, controls in papers_run]
    return RunResult(papers, computed)
