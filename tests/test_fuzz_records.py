"""Calibration records are committed and concatenated by hand (issue 26): a records file is
untrusted.  Hypothesis mutates the lines of a real one -- a field replaced by a hostile value,
removed or added, a verdict forged, bytes damaged, lines cut, doubled or swapped -- and
asserts, over at least 2000 examples, that reading it (:func:`checks.calibrate.read_records`,
what ``calibrate --records`` does before computing anything) either gives records that are
each consistent with itself and of a wanted cell, or refuses the file with one line naming
its line; it never raises anything else.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks import calibrate
from checks.decision import Verdict, claim_verdict

VERDICTS = ("PASS", "FAIL", "INCONCLUSIVE")
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[list[str], set]:
    """The records of a real sweep (smoke, A4 and its control, two seeds) and its cells."""
    path = tmp_path_factory.mktemp("records") / "records.jsonl"
    todo = calibrate.cells(["A4"], "smoke", [3, 4])
    calibrate.sweep(todo, None, None, records=path)
    return path.read_text().splitlines(), set(todo)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(),
                    st.text(max_size=12), st.sampled_from(["PASS", "FAIL", "INCONCLUSIVE", "BANANA", "A",
                                                           "A4", "quick", "smoke", "0" * 64]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=5)
FIELDS = ["paper", "check", "is_control", "profile", "seed", "version", "verdict", "outcomes", "elapsed_s"]


@st.composite
def mutated_line(draw, line: str) -> str:
    try:
        record = json.loads(line)
    except ValueError:  # an earlier change broke it: change its text
        record = None
    whole = isinstance(record, dict) and isinstance(record.get("outcomes"), list) and record["outcomes"]
    how = draw(st.sampled_from(["field", "remove", "add", "forge", "outcome", "bytes"])) if whole else "bytes"
    if how == "field":
        record[draw(st.sampled_from(FIELDS))] = draw(values)
    elif how == "remove":
        record.pop(draw(st.sampled_from(FIELDS)), None)
    elif how == "add":
        record[draw(st.text(max_size=8))] = draw(values)
    elif how == "forge":
        record["verdict"] = draw(st.sampled_from(["PASS", "FAIL", "INCONCLUSIVE"]))
    elif how == "outcome":
        i = draw(st.integers(0, len(record["outcomes"]) - 1))
        if isinstance(record["outcomes"][i], list) and len(record["outcomes"][i]) == 3:
            record["outcomes"][i][draw(st.integers(0, 2))] = draw(values)
    else:
        text = line
        cut = draw(st.integers(0, len(text)))
        return text[:cut] + draw(st.sampled_from(["", "\x00", "\udcff", "}", "NaN", "9" * 5000])) + text[cut:]
    return json.dumps(record)


@settings(max_examples=2000,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_records_file_is_read_or_refused_by_its_line(base, data) -> None:
    lines, wanted = base
    lines = list(lines)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        change = data.draw(st.sampled_from(["mutate", "mutate", "double", "drop", "swap", "cut"]))
        if change == "mutate":
            lines[i] = data.draw(mutated_line(lines[i]))
        elif change == "double":
            lines.insert(i, lines[i])
        elif change == "drop" and len(lines) > 1:
            lines.pop(i)
        elif change == "swap":
            lines[i], lines[-1] = lines[-1], lines[i]
        elif change == "cut":
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
    ending = data.draw(st.sampled_from(["\n", ""]))
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
        path = Path(tmp) / "records.jsonl"
        path.write_bytes(("\n".join(lines) + ending).encode("utf-8", "surrogateescape"))
        try:
            found = calibrate.read_records(path, wanted)
        except calibrate.ConfigError as err:
            assert err.field == "records" and "\n" not in err.reason
            assert err.reason.startswith(f"{path}:") or err.reason.startswith("cannot read"), err.reason
            return
    for cell, (record, line) in found.items():  # what is taken holds, checked here independently
        assert cell in wanted and 1 <= line <= len(lines)
        assert set(record) == {"verdict", "outcomes", "elapsed_s"}
        assert record["verdict"] in VERDICTS and record["outcomes"]
        for name, verdict, gates in record["outcomes"]:
            assert isinstance(name, str) and verdict in VERDICTS and isinstance(gates, bool)
        gating = [Verdict(v) for _, v, g in record["outcomes"] if g]
        assert claim_verdict(gating).value == record["verdict"]
