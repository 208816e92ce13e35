"""Run claims and controls; every random stream descends from one SeedSequence(seed)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from checks.exit_status import ExitStatus, status_of
from checks.registry import CLAIMS, CONTROLS, Control, base_settings, selection
from checks.setting import Budget, Setting, stream
from checks.verdict import CheckResult


def run_check(claim: str, settings: list[Setting], budget: Budget, seed: int, key: str
              ) -> CheckResult:
    """One claim's check on the given settings, with the random stream keyed by ``key``."""
    module = CLAIMS[claim]
    rng = stream(seed, key)
    start = time.perf_counter()
    outcomes = [o for s in settings for o in module.outcomes(s, budget, rng)]
    return CheckResult(
        id=key, statement=module.STATEMENT,
        outcomes=outcomes, seed=seed, budget=budget.describe(),
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
class RunResult:
    claims: list[CheckResult]
    controls: list[ControlResult]

    @property
    def exit_status(self) -> ExitStatus:
        """See :func:`checks.exit_status.status_of`."""
        return status_of([c.verdict.value for c in self.claims], [c.detected for c in self.controls])

    @property
    def ok(self) -> bool:
        return self.exit_status is ExitStatus.OK


def run(claims: Iterable[str], budget: Budget, seed: int,
        progress: Callable[[int, int, str], None] = lambda *_: None, classes: int | None = None
        ) -> RunResult:
    """Every selected claim on its base settings (``classes``: see
    :func:`checks.registry.base_settings`), then every control of those claims.

    ``progress(done, total, label)`` is called before each check and once at the end."""
    selected = selection(list(claims))
    controls = [c for c in CONTROLS if c.claim in selected]
    total = len(selected) + len(controls)
    results = []
    for i, claim in enumerate(selected):
        progress(i, total, f"claim {claim}")
        results.append(run_check(claim, base_settings(claim, budget, classes), budget, seed, claim))
    checked = []
    for i, control in enumerate(controls, start=len(selected)):
        progress(i, total, f"control {control.id}")
        result = run_check(control.claim, [control.make(budget)], budget, seed, control.id)
        checked.append(ControlResult(control, result))
    progress(total, total, "done")
    return RunResult(results, checked)
