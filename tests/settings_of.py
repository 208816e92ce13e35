"""The settings a check runs on, as the runner builds them: a claim's base settings, a
control's broken one (shared by the protocol and instance tests)."""

from __future__ import annotations

from typing import Any

from checks.paper import Paper


def settings_of(paper: Paper, check: str, budget: Any) -> list[Any]:
    control = next((c for c in paper.controls if c.id == check), None)
    return paper.base_settings(check, budget, {}) if control is None else [control.make(budget)]
