"""The verification suite end to end at the quick budget, every paper: every claim PASSes
and every negative control is detected (the checks can fail)."""

import json

import pytest

from checks import workers
from checks.decision import Verdict, claim_verdict, from_record
from checks.gaussian_mixtures.controls import CONTROLS
from checks.gaussian_mixtures.setting import PROFILES
from checks.papers import PAPERS, all_claims
from checks.runner import run
from checks.schema import claims_of, controls_of


@pytest.mark.parametrize("claim", all_claims())
def test_claim_passes(quick_report: dict, claim: str) -> None:
    """Every outcome PASSes, the readings beyond the paper included: the main job decides."""
    result = next(c for c in claims_of(quick_report) if c["id"] == claim)
    for o in result["outcomes"]:
        assert o["verdict"] == Verdict.PASS.value, (o["name"], o["verdict"], o["statistic"],
                                                    o["decision"])


@pytest.mark.parametrize("control", [c.id for p in PAPERS for c in p.controls])
def test_control_is_detected(quick_report: dict, control: str) -> None:
    result = next(c for c in controls_of(quick_report) if c["id"] == control)
    assert result["detected"], (result["verdict"], result["expected"])


def test_every_verdict_follows_from_its_decision_record(quick_report: dict) -> None:
    """Recomputed from report.json alone: each outcome's verdict from its decision record
    (checks.decision.from_record), each check's from its gating outcomes."""
    for check in claims_of(quick_report) + controls_of(quick_report):
        gating = []
        for o in check["outcomes"]:
            assert from_record(o["decision"]) == o["verdict"], (check["id"], o["name"])
            if o["gating"]:
                gating.append(Verdict(o["verdict"]))
        assert claim_verdict(gating) == check["verdict"], check["id"]


def test_same_seed_same_results() -> None:
    """Two runs with one seed agree, and the second recomputes what the checks share (each run
    has its own context: nothing is carried over between runs)."""
    a = run(["A1", "A3m", "A5"], "smoke", 7)
    b = run(["A1", "A3m", "A5"], "smoke", 7)
    strip = lambda r: json.dumps([c.as_dict() | {"elapsed_s": 0} for c in r.claims],  # noqa: E731
                                 default=str, sort_keys=True)
    assert strip(a) == strip(b)
    assert a.shared_computations == b.shared_computations > 0


def test_worker_processes_give_the_in_process_results() -> None:
    """``run --jobs 2``: the work units on two local processes (A3m and A5m in one, sharing the
    ray and the constants; B1 with the control that reuses its sweep) give every number the
    single-process run gives, and share as much."""
    claims = ["A3m", "A5m", "B1"]
    alone = run(claims, "smoke", 11)
    with workers.processes(2) as executor:
        spread = run(claims, "smoke", 11, executor=executor)
    strip = lambda r: json.dumps([c.as_dict() | {"elapsed_s": 0}  # noqa: E731
                                  for c in r.claims + [c.result for c in r.controls]],
                                 default=str, sort_keys=True)
    assert strip(spread) == strip(alone)
    assert spread.shared_computations == alone.shared_computations


def test_claim_stream_does_not_depend_on_selection() -> None:
    alone = run(["A5"], "smoke", 3).claims[0]
    together = next(c for c in run(["A4", "A5"], "smoke", 3).claims if c.id == "A5")
    assert alone.as_dict()["statistic"] == together.as_dict()["statistic"]


def test_multiclass_checks_sweep_c() -> None:
    """A3m and A5m at the smoke budget: every c gets its outcomes, the base
    setting its c-exponents, and each multi-class control runs only its own c (the c-rate
    controls sweep c like the base settings)."""
    budget = PROFILES["smoke"]
    result = run(["A3m", "A5m"], "smoke", 5)
    a3m, a5m = ([o.name for o in c.outcomes] for c in result.claims)
    for c in budget.classes:
        assert f"slope of max|G_ij| in N (c={c})" in a3m and f"alpha_c(inf) = c (c={c})" in a3m
        assert {f"slope of E[TV] in N, M = inf (c={c})", f"slope of E[TV] in M, N = inf (c={c})"} <= set(a5m)
    assert sum(n.startswith("exponent of c") for n in a3m) == 1
    assert sum(n.startswith("exponent of c") for n in a5m) == 2
    assert {c.control.id for c in result.controls} == {c.id for c in CONTROLS if c.claim in ("A3m", "A5m")}
    claims = {c.id: c for c in result.claims}
    for control in result.controls:
        sweeps = control.control.make(budget).classes is not None
        expected = len(claims[control.control.claim].outcomes) if sweeps else 2
        assert len(control.result.outcomes) == expected, control.control.id


def test_run_classes_puts_a1_a2_on_the_c_class_model() -> None:
    """``run --classes 4``: A1 and A2 check the 4-class softmax model, A3m one c; binary-only
    claims keep their binary settings."""
    result = run(["A1", "A2", "A3", "A3m"], "smoke", 5, options={"classes": 4})
    by_id = {c.id: c for c in result.claims}
    for claim in ("A1", "A2", "A3m"):
        assert all("c=4" in label for label in by_id[claim].settings), by_id[claim].settings
        assert by_id[claim].settings[next(iter(by_id[claim].settings))]["prior"]["classes"] == 4
    assert not any(o.name.startswith("exponent of c") for o in by_id["A3m"].outcomes)
    assert all("classes" not in s["prior"] for s in by_id["A3"].settings.values())
