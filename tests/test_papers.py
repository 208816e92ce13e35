"""The paper protocol (:class:`checks.paper.Paper`), checked for every registered paper by
one shared suite -- as scikit-learn's estimator checks do for estimators.  A new paper
passes these before the core runs it."""

from __future__ import annotations

import inspect
import json
from dataclasses import replace

import numpy as np
import pytest

from checks.decision import Verdict
from checks.paper import PROFILE_NAMES, Paper
from checks.papers import PAPERS, all_claims, paper_of
from checks.plots import FigureKind
from checks.runner import check_cell, work_units
from tests.settings_of import settings_of

ids = [p.id for p in PAPERS]


@pytest.mark.parametrize("paper", PAPERS, ids=ids)
def test_claims_and_controls_name_checks_of_the_paper(paper: Paper) -> None:
    assert paper.claims and set(paper.claims) <= set(paper.checks)
    for control in paper.controls:
        assert control.claim in paper.claims, control.id
        assert control.check_id in paper.checks, control.id
        assert isinstance(control.expected, Verdict)


@pytest.mark.parametrize("paper", PAPERS, ids=ids)
def test_check_modules_follow_the_protocol(paper: Paper) -> None:
    for check_id, module in paper.checks.items():
        assert module.ID == check_id
        assert module.STATEMENT and module.METHOD
        assert list(inspect.signature(module.outcomes).parameters) == ["setting", "budget", "rng", "context"]
        assert module.__doc__ and ("SPEC" in module.__doc__ or "seed" in module.__doc__), check_id


@pytest.mark.parametrize("paper", PAPERS, ids=ids)
def test_every_profile_has_a_budget_and_settings(paper: Paper) -> None:
    defaults = {o.dest: o.kwargs.get("default") for o in paper.run_options}
    for name in PROFILE_NAMES:
        budget = paper.profiles[name]
        assert budget.name == name and 0.5 < budget.confidence < 1
        assert isinstance(budget.describe(), dict)
        for claim in paper.claims:
            settings = paper.base_settings(claim, budget, defaults)
            assert settings, (name, claim)
            for s in settings:
                assert s.label and isinstance(s.describe(), dict)
        for control in paper.controls:
            setting = control.make(budget)
            assert setting.label and isinstance(setting.describe(), dict)


@pytest.mark.parametrize("paper", PAPERS, ids=ids)
def test_figure_kinds_are_registered_once(paper: Paper) -> None:
    """A paper's figure kinds are drawers the core can call, and no two papers (nor the shared
    ``rate``) claim one name."""
    for kind in paper.figures.values():
        assert isinstance(kind, FigureKind) and callable(kind.draw) and kind.rows
    others = {k for p in PAPERS if p is not paper for k in p.figures} | {"rate"}
    assert not set(paper.figures) & others


@pytest.mark.parametrize("paper", PAPERS, ids=ids)
def test_shared_work_names_claims_of_the_paper(paper: Paper) -> None:
    """Each group of :attr:`Paper.shared_work` names two or more of the paper's own claims."""
    for linked in paper.shared_work:
        assert len(set(linked)) >= 2 and set(linked) <= set(paper.claims), linked


def test_work_units_merge_linked_claims_transitively() -> None:
    """Groups that share a claim make one unit, with every linked claim's controls; the rest
    stay a claim with its own controls."""
    paper = replace(PAPERS[0], shared_work=(("A1", "A2"), ("A2", "A3")))
    units = work_units(paper, list(paper.claims), list(paper.controls))
    linked = next(u for u in units if ("A", "A1", False) in u)
    assert {job[1] for job in linked if not job[2]} == {"A1", "A2", "A3"}
    expected = {c.id for c in paper.controls if c.claim in ("A1", "A2", "A3")}
    assert {job[1] for job in linked if job[2]} == expected
    assert sorted(job for u in units for job in u) == sorted(
        [("A", c, False) for c in paper.claims] + [("A", c.id, True) for c in paper.controls])


def test_ids_are_unique_across_papers() -> None:
    every = [p.id for p in PAPERS] + list(all_claims()) + [c.id for p in PAPERS for c in p.controls]
    assert len(every) == len(set(every))
    for paper in PAPERS:
        assert all(paper_of(c) is paper for c in paper.claims)
        assert paper.title and paper.source and paper.spec.startswith("SPEC §")


@pytest.mark.parametrize("paper", PAPERS, ids=ids)
def test_seed_free_checks_are_seed_free(paper: Paper) -> None:
    """What a paper declares seed-free (so that a calibration counts it once, or varies its
    instance) gives the same outcomes on two seeds (smoke profile); its instance rule gives
    one setting per setting, different for different seeds."""
    controls = {c.id for c in paper.controls}
    assert paper.seed_free <= set(paper.claims) | controls
    assert paper.varied <= set(paper.claims) | controls and (paper.instance is None) == (not paper.varied)
    for check in sorted(paper.seed_free):
        a, b = (check_cell(paper.id, check, check in controls, "smoke", seed) for seed in (1, 2))
        dumps = [json.dumps(r.as_dict()["outcomes"], default=str) for r in (a, b)]
        assert dumps[0] == dumps[1], check
    budget = paper.profiles["smoke"]
    for check in sorted(paper.varied):
        settings = settings_of(paper, check, budget)
        one, two = (paper.instance(settings, budget, np.random.default_rng(s)) for s in (1, 2))
        # one instance per setting (tests/test_instances.py: within the assumptions)
        assert len(one) == len(two) == len(settings), check
        assert [s.label for s in one] != [s.label for s in two], check


@pytest.mark.parametrize("paper", PAPERS, ids=ids)
def test_what_a_calibration_repeats_changes_with_the_seed(paper: Paper) -> None:
    """The converse: every check a calibration counts once per seed gives other numbers on
    another seed (as a calibration runs it: on a random instance if the paper varies it), so
    its seeds are trials; the exact identity alpha_c(inf) = c (A3m and its controls) and the A2
    step control's modulus aside, no gating outcome is the same on two seeds.  That modulus is
    1.5 on every seed by construction (eta = 2.5 / ell, and alpha <= ell), so the control's
    FAIL is certain and its seeds are trials of its other outcomes only."""
    # outcome name -> the one check it is exempt in (None: every check that reports it)
    exact = {"alpha_c(inf) = c": None, "contraction modulus q": "A2-step-too-large"}
    for check, is_control in [(c, False) for c in paper.claims] + [(c.id, True) for c in paper.controls]:
        if check in paper.seed_free and not paper.varies(check):
            continue
        a, b = (check_cell(paper.id, check, is_control, "smoke", seed, vary_instance=True)
                for seed in (1, 2))
        same = [o.name for o, p in zip(a.outcomes, b.outcomes, strict=True)
                if o.gating and json.dumps(o.statistic) == json.dumps(p.statistic)
                and not any(o.name.startswith(e) and c in (None, check) for e, c in exact.items())]
        assert not same, (check, same)
