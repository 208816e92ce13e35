"""Calibration: the suite's own error rates over many seeds (issue 14; SPEC §D).

The unit of work is a *cell*: one claim or one control of one paper, at one profile and one
seed.  A cell is computed by :func:`compute_cell` with a fresh :class:`checks.context.RunContext`
for its seed, so it draws exactly the numbers it draws in a whole ``run`` with that seed
(streams are keyed by check id and shared law, never by what else runs).

* **Where.** Cells go to a ``concurrent.futures`` executor: a local process pool by default,
  or a Dask distributed cluster (``Client(address).get_executor()``), with identical results.
* **Resumable.** With a cache directory every finished cell is stored by ``joblib.Memory``
  under a content address: the hash of the code (every source file of the packages), the
  profile, the check and the seed.  joblib writes atomically, so a killed sweep leaves whole
  cells only, and a restarted one recomputes nothing it had finished.
* **Rates.** True claims: FAIL, INCONCLUSIVE and PASS counts and the false-FAIL rate's exact
  (Clopper-Pearson) one-sided 95% upper bound; controls: detections and their exact one-sided
  95% lower bound.
* **Seed-free checks** (quadrature, exact GD; :attr:`checks.paper.Paper.seed_free`) give the
  same result on every seed, so many seeds of one are one trial: a claim with an instance rule
  (:attr:`checks.paper.Paper.instance`) runs on a random instance per seed instead, and the
  others run once and count as one trial.  The summary says which were varied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from scipy import stats

from checks.paper import Paper
from checks.papers import PAPERS, paper_by_id, selection
from checks.runner import check_cell

#: the confidence of the one-sided exact bounds
BOUND_LEVEL = 0.95


@dataclass(frozen=True)
class Cell:
    """One claim or one control (``is_control``) of one paper, at a profile and a seed."""

    paper: str
    check: str      # a claim id, or a control id
    is_control: bool
    profile: str
    seed: int


def varied(paper: Paper, check: str) -> bool:
    """Whether a calibration varies ``check``'s instance with the seed (a seed-free claim of a
    paper with an instance rule)."""
    return check in paper.seed_free and check in paper.claims and paper.instance is not None


def repeated(paper: Paper, check: str) -> bool:
    """Whether each seed is a new trial of ``check``: not if it is seed-free and not varied."""
    return check not in paper.seed_free or varied(paper, check)


def cells(claims: Iterable[str], profile: str, seeds: Iterable[int]) -> list[Cell]:
    """Every selected claim and every control of those claims, for every seed; a seed-free
    check that is not varied by instance only for the first seed (the rest would repeat it)."""
    chosen = selection(list(claims))
    out = []
    for i, seed in enumerate(seeds):
        for paper in PAPERS:
            checks = [(c, False) for c in chosen if c in paper.claims]
            checks += [(c.id, True) for c in paper.controls if c.claim in chosen]
            out += [Cell(paper.id, c, is_control, profile, seed) for c, is_control in checks
                    if i == 0 or repeated(paper, c)]
    return out


@cache
def code_version() -> str:
    """SHA-256 of every source file of the packages (their relative paths and contents)."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for package in ("theory", "numerics", "checks"):
        for path in sorted((root / package).rglob("*")):
            if path.suffix in {".py", ".json"} and path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def compute_cell(cell: Cell, version: str) -> dict:
    """The cell's verdict and its outcomes' verdicts (``version`` is the code's hash: it enters
    the cache's address only)."""
    del version
    result = check_cell(cell.paper, cell.check, cell.is_control, cell.profile, cell.seed,
                        vary_instance=True)
    out = {"verdict": result.verdict.value, "outcomes": {o.name: o.verdict.value for o in result.outcomes},
           "elapsed_s": result.elapsed_s}
    if cell.is_control:
        control = next(c for c in paper_by_id(cell.paper).controls if c.id == cell.check)
        out["detected"] = result.verdict is control.expected
    return out


def _cached(directory: Path | None) -> Callable[[Cell, str], dict]:
    if directory is None:
        return compute_cell
    from joblib import Memory

    return Memory(directory, verbose=0).cache(compute_cell)


def _call(task: tuple[Cell, str, str | None]) -> dict:
    """A worker's entry point: the cell through the cache (if any)."""
    cell, version, directory = task
    return _cached(None if directory is None else Path(directory))(cell, version)


def sweep(todo: list[Cell], executor: Executor | None, cache_dir: Path | None,
          progress: Callable[[int, int, str], None] = lambda *_: None) -> tuple[dict[Cell, dict], dict]:
    """Every cell's result (in the order of ``todo``), and how many were computed and how many
    read from the cache.  ``executor`` None computes in this process."""
    version = code_version()
    cached_fn = _cached(cache_dir)
    reused = [c for c in todo if cache_dir is not None and cached_fn.check_call_in_cache(c, version)]
    directory = None if cache_dir is None else str(cache_dir)
    results: dict[Cell, dict] = {}
    progress(0, len(todo), "cells")
    if executor is None:
        for cell in todo:
            results[cell] = _call((cell, version, directory))
            progress(len(results), len(todo), f"cells; finished seed {cell.seed} {cell.check}")
    else:
        futures = {executor.submit(_call, (cell, version, directory)): cell for cell in todo}
        for future in as_completed(futures):
            cell = futures[future]
            results[cell] = future.result()
            progress(len(results), len(todo), f"cells; finished seed {cell.seed} {cell.check}")
    # in the order of ``todo``, whatever order the cells finished in
    return {c: results[c] for c in todo}, {"computed": len(todo) - len(reused), "cached": len(reused)}


def upper_bound(failures: int, trials: int) -> float:
    """Exact (Clopper-Pearson) one-sided upper bound of a rate at :data:`BOUND_LEVEL`."""
    return 1.0 if failures >= trials else float(stats.beta.ppf(BOUND_LEVEL, failures + 1, trials - failures))


def lower_bound(successes: int, trials: int) -> float:
    """Exact (Clopper-Pearson) one-sided lower bound of a rate at :data:`BOUND_LEVEL`."""
    if successes <= 0:
        return 0.0
    return float(stats.beta.ppf(1 - BOUND_LEVEL, successes, trials - successes + 1))


def summarise(results: dict[Cell, dict], seeds: list[int]) -> dict:
    """Per seed, the claims' verdicts and the controls' detections; per claim and control the
    counts and exact bounds (the JSON of ``calibrate --json``, without ``cells``)."""
    per_seed = []
    for seed in seeds:
        mine = {c: r for c, r in results.items() if c.seed == seed}
        per_seed.append({"seed": seed,
                         "claims": {c.check: r["verdict"] for c, r in mine.items() if not c.is_control},
                         "controls": {c.check: r["verdict"] for c, r in mine.items() if c.is_control}})
    outcomes = []
    for check in dict.fromkeys((c.check, c.is_control, c.paper) for c in results):
        name, is_control, paper = check
        rows = [r for c, r in results.items() if (c.check, c.is_control) == (name, is_control)]
        n = len(rows)
        p = paper_by_id(paper)
        how = {"seed_free": name in p.seed_free, "varied_by_instance": varied(p, name)}
        if is_control:
            hits = sum(r["detected"] for r in rows)
            outcomes.append({"id": name, "paper": paper, "kind": "control", "trials": n, **how,
                             "detected": hits, "detection_lower_bound": lower_bound(hits, n),
                             "level": BOUND_LEVEL})
        else:
            counts = {v: sum(r["verdict"] == v for r in rows) for v in ("FAIL", "INCONCLUSIVE", "PASS")}
            outcomes.append({"id": name, "paper": paper, "kind": "claim", "trials": n, **how, **counts,
                             "false_fail_upper_bound": upper_bound(counts["FAIL"], n),
                             "level": BOUND_LEVEL})
    return {"seeds": len(seeds), "per_seed": per_seed, "outcomes": outcomes}


def local_executor(jobs: int) -> Executor | None:
    """A process pool of ``jobs`` workers (None: in this process, for ``jobs == 1``)."""
    return None if jobs == 1 else ProcessPoolExecutor(max_workers=jobs)


def table(summary: dict) -> str:
    """The terminal table: per claim the verdict counts and the false-FAIL bound, per control
    the detections and their bound."""
    level = f"{BOUND_LEVEL:.0%}"
    lines = [f"{summary['seeds']} seeds; exact one-sided {level} bounds (Clopper-Pearson)",
             f"{'claim':<28} {'FAIL':>5} {'INCONCL.':>9} {'PASS':>5}  false-FAIL rate <="]
    def how(o: dict) -> str:
        return " (instance varied)" if o["varied_by_instance"] else " (seed-free: 1 trial)" \
            if o["seed_free"] else ""

    for o in (o for o in summary["outcomes"] if o["kind"] == "claim"):
        lines.append(f"{o['id']:<28} {o['FAIL']:>5} {o['INCONCLUSIVE']:>9} {o['PASS']:>5}  "
                     f"{o['false_fail_upper_bound']:.4f}{how(o)}")
    lines.append(f"{'control':<28} {'detected':>21}  detection rate >=")
    for o in (o for o in summary["outcomes"] if o["kind"] == "control"):
        lines.append(f"{o['id']:<28} {o['detected']:>14} of {o['trials']:<4}  "
                     f"{o['detection_lower_bound']:.4f}{how(o)}")
    cells = summary.get("cells")
    if cells:
        lines.append(f"cells: {cells['computed']} computed, {cells['cached']} reused from the cache")
    return "\n".join(lines)
