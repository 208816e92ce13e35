"""Opt-in (``pytest --runslow``): the calibration of issue 14 -- the quick profile's claims and
controls over 300 seeds through ``icl-verify calibrate``'s machinery, with the exact one-sided
95% bounds the suite targets: false-FAIL <= 1% for every claim, detection >= 99% for every
control (299 clean trials are the fewest that can show either: 1 - 0.05^(1/299) = 0.00997).
A seed-free check that no instance rule varies is one deterministic trial: its verdict is
asserted, not a rate.  It fails today, on A3-unequal-norms alone, whose misses (INCONCLUSIVE on
its N-slope, about 5% of random instances) keep its bound below 0.99 (README, Calibration).

Hours on 2 cores.  ``ICL_CALIBRATION_RECORDS=docs/calibration/quick.jsonl`` resumes from (and
extends) the committed records; ``ICL_CALIBRATION_CACHE=DIR`` from a cache."""

import os
from pathlib import Path

import pytest

from checks import calibrate, workers
from checks.papers import all_claims

SEEDS = 300


@pytest.mark.slow
def test_false_fail_and_detection_bounds() -> None:
    cache, records = (os.environ.get(f"ICL_CALIBRATION_{name}") for name in ("CACHE", "RECORDS"))
    seeds = list(range(SEEDS))
    with workers.local_executor(2) as executor:
        results, _ = calibrate.sweep(calibrate.cells(all_claims(), "quick", seeds), executor,
                                     None if cache is None else Path(cache),
                                     records=None if records is None else Path(records))
    for row in calibrate.summarise(results, seeds)["outcomes"]:
        if row["deterministic"]:  # one evaluation: it must give the verdict (PASS, or the control's)
            assert row.get("PASS", row.get("detected")) == row["trials"], row
        elif row["kind"] == "claim":
            assert row["false_fail_upper_bound"] <= 0.01, row
        else:
            assert row["detection_lower_bound"] >= 0.99, row
