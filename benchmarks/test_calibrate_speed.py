"""Issue 14's speed targets for ``calibrate``: 16 smoke-profile seeds of every claim and
control on one local worker, on two (at least 1.8x faster), and on a Dask LocalCluster of two
worker processes; each executor's overhead per cell, ``(wall x workers - sum of the cells'
compute times) / cells``, which also holds the workers' idle time at the end of the sweep.
Correctness: every executor gives the one-worker verdicts."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from checks import calibrate
from checks.papers import all_claims

SEEDS = range(16)
TODO = calibrate.cells(all_claims(), "smoke", SEEDS)
ONE: dict = {}


def _verdicts(results: dict) -> dict:
    return {cell: (r["verdict"], r["outcomes"]) for cell, r in results.items()}


def _record(benchmark, results: dict, workers: int) -> None:
    wall = benchmark.stats.stats.mean
    compute = sum(r["elapsed_s"] for r in results.values())
    benchmark.extra_info.update(cells=len(results), workers=workers,
                                overhead_and_idle_per_cell_s=(wall * workers - compute) / len(results))


def _one() -> dict:
    """The one-worker sweep (timed here if its benchmark did not run first)."""
    if not ONE:
        start = time.perf_counter()
        ONE.update(results=calibrate.sweep(TODO, None, None)[0], wall=time.perf_counter() - start)
    return ONE


def test_one_worker(benchmark) -> None:
    results, _ = benchmark.pedantic(calibrate.sweep, args=(TODO, None, None), rounds=1, iterations=1)
    _record(benchmark, results, 1)
    ONE.update(results=results, wall=benchmark.stats.stats.mean)


def test_two_local_workers(benchmark) -> None:
    with ProcessPoolExecutor(2) as executor:
        results, _ = benchmark.pedantic(calibrate.sweep, args=(TODO, executor, None), rounds=1, iterations=1)
    _record(benchmark, results, 2)
    assert _verdicts(results) == _verdicts(_one()["results"])
    speedup = _one()["wall"] / benchmark.stats.stats.mean
    benchmark.extra_info["speedup"] = speedup
    assert speedup >= 1.8


def test_dask_local_cluster_two_workers(benchmark) -> None:
    distributed = pytest.importorskip("distributed")
    import dask

    environ = {f"distributed.nanny.pre-spawn-environ.{k}": v
               for k, v in calibrate.DASK_WORKER_ENVIRON.items()}
    with (dask.config.set(environ),
          distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=None) as cluster,
          distributed.Client(cluster) as client):
        executor = client.get_executor()
        results, _ = benchmark.pedantic(calibrate.sweep, args=(TODO, executor, None), rounds=1, iterations=1)
    _record(benchmark, results, 2)
    assert _verdicts(results) == _verdicts(_one()["results"])
    benchmark.extra_info["speedup"] = _one()["wall"] / benchmark.stats.stats.mean
