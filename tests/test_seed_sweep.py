"""Opt-in (``pytest --runslow``): the calibration of issue 14 -- the quick profile's claims and
controls over 300 seeds through ``icl-verify calibrate``'s machinery, with the exact one-sided
95% bounds the suite targets: false-FAIL <= 1% for every claim, detection >= 99% for every
control (300 clean seeds are the fewest that can show either).  Hours on 2 cores; set
``ICL_CALIBRATION_CACHE`` to a directory to resume an interrupted run."""

import os
from pathlib import Path

import pytest

from checks import calibrate
from checks.papers import all_claims

SEEDS = 300


@pytest.mark.slow
def test_false_fail_and_detection_bounds() -> None:
    cache = os.environ.get("ICL_CALIBRATION_CACHE")
    seeds = list(range(SEEDS))
    with calibrate.local_executor(2) as executor:
        results, _ = calibrate.sweep(calibrate.cells(all_claims(), "quick", seeds), executor,
                                     None if cache is None else Path(cache))
    for row in calibrate.summarise(results, seeds)["outcomes"]:
        if row["kind"] == "claim":
            assert row["false_fail_upper_bound"] <= 0.01, row
        else:
            assert row["detection_lower_bound"] >= 0.99, row
