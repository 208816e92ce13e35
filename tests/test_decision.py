"""checks.decision: the three rules, and the property that makes them safe to gate on --
widening an interval only ever moves a verdict toward INCONCLUSIVE (never PASS <-> FAIL,
never INCONCLUSIVE -> PASS or FAIL)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.decision import (
    Criterion,
    Decision,
    Quantile,
    Rule,
    Verdict,
    at_least,
    at_most,
    claim_verdict,
    equivalent,
    from_record,
)

REASON = "a test"
finite = st.floats(-1e6, 1e6, allow_nan=False)
widths = st.floats(0, 1e6, allow_nan=False)


@st.composite
def criteria(draw: st.DrawFn) -> Criterion:
    rule = draw(st.sampled_from(list(Rule)))
    tolerance = draw(st.floats(1e-9, 1e3) if rule is Rule.EQUIVALENT else st.floats(0, 1e3))
    return Criterion(rule, draw(finite), tolerance, REASON)


@st.composite
def intervals(draw: st.DrawFn) -> tuple[float, float]:
    lo = draw(finite)
    return lo, lo + draw(widths)


@given(criteria(), intervals(), widths, widths)
def test_widening_only_moves_toward_inconclusive(criterion: Criterion, interval, left: float,
                                                 right: float) -> None:
    lo, hi = interval
    narrow, wide = criterion.decide(lo, hi), criterion.decide(lo - left, hi + right)
    assert wide in (narrow, Verdict.INCONCLUSIVE)


@given(criteria(), intervals())
def test_pass_and_fail_need_the_whole_interval(criterion: Criterion, interval) -> None:
    """PASS: every point of the interval satisfies the claim up to the tolerance; FAIL: none
    does -- read at the two ends, since the rules are monotone in the statistic."""
    lo, hi = interval
    b, t = criterion.bound, criterion.tolerance
    inside = {Rule.AT_MOST: lambda x: x < b + t, Rule.AT_LEAST: lambda x: x > b - t,
              Rule.EQUIVALENT: lambda x: b - t < x < b + t}[criterion.rule]
    verdict = criterion.decide(lo, hi)
    if verdict is Verdict.PASS:
        assert inside(lo) and inside(hi)
    if verdict is Verdict.FAIL:
        assert not inside(lo) and not inside(hi) and not (criterion.rule is Rule.EQUIVALENT and lo < b < hi)


@pytest.mark.parametrize("criterion,interval,verdict", [
    (at_most(-1.0, 0.1, REASON), (-1.2, -0.95), Verdict.PASS),
    (at_most(-1.0, 0.1, REASON), (-0.85, -0.7), Verdict.FAIL),
    (at_most(-1.0, 0.1, REASON), (-1.3, -0.5), Verdict.INCONCLUSIVE),
    (at_least(0.0, 0.0, REASON), (0.01, 0.02), Verdict.PASS),
    (at_least(0.0, 0.0, REASON), (-0.02, -0.01), Verdict.FAIL),
    (at_least(0.0, 0.0, REASON), (-0.01, 0.01), Verdict.INCONCLUSIVE),
    (equivalent(2.0, 0.1, REASON), (1.95, 2.05), Verdict.PASS),
    (equivalent(2.0, 0.1, REASON), (2.2, 2.3), Verdict.FAIL),
    (equivalent(2.0, 0.1, REASON), (1.5, 2.5), Verdict.INCONCLUSIVE),  # failing to reject is no PASS
    (equivalent(2.0, 0.1, REASON), (math.nan, 2.0), Verdict.INCONCLUSIVE),
])
def test_the_rules(criterion: Criterion, interval, verdict: Verdict) -> None:
    assert criterion.decide(*interval) is verdict


@given(criteria(), intervals())
def test_a_record_gives_the_same_verdict(criterion: Criterion, interval) -> None:
    decision = Decision(criterion, interval, 0.999, Quantile.NORMAL)
    assert from_record(decision.record()) is decision.verdict


def test_a_claim_passes_only_when_every_gating_outcome_does() -> None:
    p, f, i = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE
    assert claim_verdict([p, p]) is p
    assert claim_verdict([p, i]) is i
    assert claim_verdict([i, f, p]) is f
    assert claim_verdict([]) is i


def test_every_tolerance_states_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        at_most(1.0, 0.1, "")
    with pytest.raises(ValueError, match="tolerance"):
        equivalent(1.0, 0.0, REASON)
