"""Calibration: the suite's own error rates over many seeds (issue 14; SPEC §D).

The unit of work is a *cell*: one claim or one control of one paper, at one profile and one
seed.  A cell is computed by :func:`compute_cell` with its seed's :class:`checks.context.RunContext`,
so it draws exactly the numbers it draws in a whole ``run`` with that seed (streams are keyed by
check id and shared law, never by what else runs).  A worker is handed one seed's cells at a
time, so that, as in a run, controls that re-judge a claim's numbers do not recompute them.

* **Where.** Cells go to a ``concurrent.futures`` executor: a local process pool by default,
  or a Dask distributed cluster (``Client(address).get_executor()``), with identical results.
* **Resumable.** With a cache directory every finished cell is stored by ``joblib.Memory``
  under a content address: the code version (:func:`code_version`), the profile, the check and
  the seed.  joblib writes atomically, so a killed sweep leaves whole cells only, and a
  restarted one recomputes nothing it had finished.
* **Records.** A records file (JSON Lines, one finished cell per line, with its code version)
  is the portable, committable form: a calibration can span sessions and machines by resuming
  from it, and two machines' files concatenate.  It holds one code version only.
* **Rates.** True claims: FAIL, INCONCLUSIVE and PASS counts and the false-FAIL rate's exact
  (Clopper-Pearson) one-sided 95% upper bound; controls: detections and their exact one-sided
  95% lower bound.
* **Seed-free checks** (quadrature, exact GD; :attr:`checks.paper.Paper.seed_free`) give the
  same result on every seed, so many seeds of one are one trial: those of a paper with an
  instance rule (:attr:`checks.paper.Paper.instance`) run on a random instance per seed
  instead, and the others run once and count as one trial.  The summary says which were varied.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from scipy import stats

from checks.context import RunContext
from checks.paper import Paper
from checks.papers import PACKAGES, PAPERS, paper_by_id, selection
from checks.runner import check_cell
from numerics.config import ConfigError

#: the confidence of the one-sided exact bounds
BOUND_LEVEL = 0.95

#: the environment a Dask worker process needs to compute cells at the local speed: Dask's nanny
#: sets MALLOC_TRIM_THRESHOLD_, which stops glibc from raising its mmap threshold, so every
#: array above 128 KiB is mapped and unmapped afresh (one worker, 2 smoke seeds: 49 s against
#: 28 s in this process; with this, 30 s).  Set it before ``dask worker`` (README) or in
#: ``distributed.nanny.pre-spawn-environ`` for a LocalCluster.
DASK_WORKER_ENVIRON = {"MALLOC_MMAP_THRESHOLD_": 32 * 2**20}


@dataclass(frozen=True)
class Cell:
    """One claim or one control (``is_control``) of one paper, at a profile and a seed."""

    paper: str
    check: str      # a claim id, or a control id
    is_control: bool
    profile: str
    seed: int


def varied(paper: Paper, check: str) -> bool:
    """Whether a calibration varies ``check``'s instance with the seed (a seed-free claim or
    control of a paper with an instance rule)."""
    return check in paper.seed_free and paper.instance is not None


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


_ROOT = Path(__file__).resolve().parent.parent
_PACKAGES = ("theory", "numerics", "checks")


def _source(module: str) -> Path | None:
    """The source file of one of the packages' modules (None: not a module of them)."""
    if module.split(".")[0] not in _PACKAGES:
        return None
    base = _ROOT.joinpath(*module.split("."))
    return next((f for f in (base.with_suffix(".py"), base / "__init__.py") if f.is_file()), None)


def _imports(module: str) -> set[str]:
    """The packages' modules that importing ``module`` runs at its top level (with the parent
    packages each import runs), not the imports inside functions (a paper's CLI commands)."""
    tree = ast.parse(_source(module).read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    found = {".".join(n.split(".")[:i]) for n in names for i in range(1, n.count(".") + 2)}
    return {m for m in found if _source(m) is not None}


def _modules(paper: str) -> set[str]:
    """The packages' modules that computing a cell of ``paper`` imports: the runner and what it
    imports, the paper's package and what it imports, not the registry of papers
    (:mod:`checks.papers`, which imports every paper)."""
    package = dict(zip((p.id for p in PAPERS), PACKAGES, strict=True))[paper]
    seen: set[str] = set()
    todo = {"checks.runner", f"checks.{package}"}
    while todo:
        module = todo.pop()
        seen.add(module)
        todo |= _imports(module) - seen - {"checks.papers"}
    return seen


@cache
def code_version(paper: str) -> str:
    """SHA-256 of the source (relative paths and contents) of :func:`_modules`: a change to
    another paper, the CLI, the reports or this module's bookkeeping leaves a paper's version as
    it is; a change to any theory, numerics or check module its cells run changes it."""
    digest = hashlib.sha256()
    for path in sorted({_source(m) for m in _modules(paper)}):
        digest.update(path.relative_to(_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _context(profile: str, seed: int) -> RunContext:
    """The shared computations of the seed whose cells this process is computing: a claim and
    its controls that re-judge the same numbers (a rate claimed too fast) compute them once,
    as in a run; a sweep hands a worker one seed's cells at a time, so one context is kept."""
    return RunContext(seed)


def compute_cell(cell: Cell, version: str) -> dict:
    """The cell's verdict and its outcomes' verdicts (``version``, its paper's
    :func:`code_version`, enters the cache's address only)."""
    del version
    result = check_cell(cell.paper, cell.check, cell.is_control, cell.profile, cell.seed,
                        context=_context(cell.profile, cell.seed), vary_instance=True)
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


def _call(task: tuple[list[tuple[Cell, str]], str | None]) -> list[dict]:
    """A worker's entry point: one seed's cells (each with its version), each through the cache
    (if any)."""
    cells_, directory = task
    compute = _cached(None if directory is None else Path(directory))
    return [compute(cell, version) for cell, version in cells_]


def _key(cell: Cell) -> dict:
    return {"paper": cell.paper, "check": cell.check, "is_control": cell.is_control,
            "profile": cell.profile, "seed": cell.seed}


def read_records(path: Path) -> dict[Cell, dict]:
    """The finished cells of a records file (none if it does not exist).

    A last line cut short (a sweep killed while appending) is dropped from the file; any other
    line that is not a record, a record of another code version, or two records of one cell
    that disagree is a :class:`ConfigError` (field ``records``)."""
    if not path.exists():
        return {}
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    records: dict[Cell, dict] = {}
    kept = 0  # bytes of whole records
    for number, line in enumerate(lines, 1):
        if not line.strip():
            kept += len(line) + 1
            continue
        try:
            record = json.loads(line)
            cell = Cell(record.pop("paper"), record.pop("check"), record.pop("is_control"),
                        record.pop("profile"), record.pop("seed"))
            other = record.pop("version")
        except (ValueError, KeyError, TypeError, AttributeError):
            if number == len(lines):  # a torn append: no newline after it
                with open(path, "r+b") as handle:
                    handle.truncate(kept)
                break
            raise ConfigError("records", f"{path}:{number}: not a calibration record") from None
        if other != code_version(cell.paper):
            raise ConfigError("records", f"{path}:{number}: paper {cell.paper}'s code version "
                                         f"{other[:12]}, this code is {code_version(cell.paper)[:12]}: "
                                         f"a calibration spans one code version")
        if cell in records and records[cell]["verdict"] != record["verdict"]:
            raise ConfigError("records", f"{path}:{number}: two records of {cell.check} at seed "
                                         f"{cell.seed} disagree")
        records.setdefault(cell, record)
        kept += len(line) + 1
    return records


def append_record(path: Path, cell: Cell, result: dict) -> None:
    """One finished cell, as one line, flushed to disk before the next is appended."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({**_key(cell), "version": code_version(cell.paper), **result}) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def sweep(todo: list[Cell], executor: Executor | None, cache_dir: Path | None,
          progress: Callable[[int, int, str], None] = lambda *_: None,
          records: Path | None = None) -> tuple[dict[Cell, dict], dict]:
    """Every cell's result (in the order of ``todo``), and how many were computed and how many
    reused (from the cache or from ``records``, to which each computed cell is appended).
    ``executor`` None computes in this process."""
    results = {} if records is None else {c: r for c, r in read_records(records).items()
                                          if c in set(todo)}
    rest = [c for c in todo if c not in results]
    cached_fn = _cached(cache_dir)
    in_cache = [cache_dir is not None and cached_fn.check_call_in_cache(c, code_version(c.paper))
                for c in rest]
    reused = len(results) + sum(in_cache)
    directory = None if cache_dir is None else str(cache_dir)

    def finished(group: list[tuple[Cell, str]], outcome: list[dict]) -> None:
        for (cell, _), result in zip(group, outcome, strict=True):
            results[cell] = result
            if records is not None:
                append_record(records, cell, result)
        progress(len(results), len(todo), f"cells; finished seed {group[0][0].seed}")

    by_seed: dict[int, list[Cell]] = {}
    for cell in rest:
        by_seed.setdefault(cell.seed, []).append(cell)
    tasks = [([(c, code_version(c.paper)) for c in group], directory) for group in by_seed.values()]
    progress(len(results), len(todo), "cells")
    if executor is None:
        for task in tasks:
            finished(task[0], _call(task))
    else:
        futures = {executor.submit(_call, task): task[0] for task in tasks}
        for future in as_completed(futures):
            finished(futures[future], future.result())
    # in the order of ``todo``, whatever order the cells finished in
    return {c: results[c] for c in todo}, {"computed": len(todo) - reused, "cached": reused}


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
        lines.append(f"cells: {cells['computed']} computed, {cells['cached']} reused (cache or records)")
    return "\n".join(lines)
