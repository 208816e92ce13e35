"""Shared test configuration.

Hypothesis profiles: ``ci`` (set by tox through HYPOTHESIS_PROFILE) is derandomized, so CI
runs the same examples every time; ``dev`` is hypothesis' default randomised search.
Slow tests (seed sweeps, full-profile checks) are opt-in: ``pytest --runslow``.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from filelock import FileLock
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=8, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", deadline=None, max_examples=8,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: opt in with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded from the test's name: fixed per test, independent across tests."""
    from checks.context import stable_key

    return np.random.default_rng(np.random.SeedSequence(stable_key(request.node.nodeid)))


@pytest.fixture(scope="session")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """report.json of the quick run with the README's seed, every paper: computed once per
    test run.  Under pytest-xdist the first worker that asks computes it and the others wait
    on a file lock under the run's shared base temporary directory, then read it
    (pytest-xdist's documented recipe, "Making session-scoped fixtures execute only once")."""
    from checks.cli import DEFAULT_SEED  # the README's
    from checks.papers import all_claims
    from checks.report import report_dict, run_config, to_json
    from checks.runner import run

    def compute() -> str:
        result = run(all_claims(), "quick", DEFAULT_SEED)
        return to_json(report_dict(result, run_config(result, "quick", DEFAULT_SEED, {})))

    if "PYTEST_XDIST_WORKER" not in os.environ:  # not under xdist: the temporary root is shared across runs
        return json.loads(compute())
    path = tmp_path_factory.getbasetemp().parent / "quick-report.json"
    with FileLock(f"{path}.lock"):
        if not path.is_file():
            path.write_text(compute())
        return json.loads(path.read_text())
