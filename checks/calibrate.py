"""Calibration: the suite's own error rates over many seeds (issue 14; SPEC §D).

The unit of work is a *cell*: one claim or one control of one paper, at one profile and one
seed.  A cell is computed by :func:`compute_cell` with its seed's :class:`checks.context.RunContext`,
so it draws exactly the numbers it draws in a whole ``run`` with that seed (streams are keyed by
check id and shared law, never by what else runs), except that a check its paper varies runs
on a random instance (below).  A worker is handed one seed's cells at a time, so that, as in a
run, controls that re-judge a claim's numbers do not recompute them (unless their paper varies
both: then each draws its own instance, as paper B's K-exponent control does).

* **Where.** Cells go to a ``concurrent.futures`` executor: a local process pool by default,
  or a Dask distributed cluster (``Client(address).get_executor()``), with identical results.
* **Resumable.** With a cache directory every finished cell is stored by ``joblib.Memory``
  under a content address: its paper's code version (:func:`code_version`), the profile, the
  check and the seed.  joblib writes atomically, so a killed sweep leaves whole cells only, and
  a restarted one recomputes nothing it had finished.  The entries are JSON, checked before
  use (:mod:`checks.cache`): a cache on a shared disk can hold anything.  (On a cluster the
  directory must be one that every worker and the client see.)
* **Records.** A records file (JSON Lines, one finished cell per line, with its paper's code
  version) is the portable, committable form: a calibration can span sessions and machines by
  resuming from it, and two machines' files concatenate.  A cell's records are of one code
  version only, and each is checked against its schema and its own outcomes
  (:mod:`checks.records`); :func:`verify` recomputes some.
* **Rates.** True claims: FAIL, INCONCLUSIVE and PASS counts and the false-FAIL rate's exact
  (Clopper-Pearson) one-sided 95% upper bound; controls: how often the expected verdict came
  and its exact one-sided 95% lower bound; whole runs: how many seeds were clean.
* **Seed-free checks** (quadrature, exact GD; :attr:`checks.paper.Paper.seed_free`) give the
  same result on every seed, so many seeds of one are one trial.  A paper's instance rule
  (:attr:`checks.paper.Paper.instance`) runs the checks it varies (:attr:`~checks.paper.Paper.varied`:
  the seed-free ones and those partly by quadrature) on a random instance per seed; the
  other seed-free checks run once, a deterministic trial whose verdict is given with no bound.
"""

from __future__ import annotations

import ast
import fcntl
import functools
import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from joblib.memory import MemorizedFunc
from scipy import stats

from checks import cache, records
from checks.context import RunContext
from checks.exit_status import Incomplete
from checks.files import open_regular
from checks.interrupt import as_completed
from checks.paper import Paper
from checks.papers import PACKAGES, PAPERS, paper_by_id, selection
from checks.runner import check_cell
from numerics import memory
from numerics.config import ConfigError

#: the confidence of the one-sided exact bounds
BOUND_LEVEL = 0.95

#: the environment a Dask worker process needs to compute cells at the local speed: Dask's nanny
#: sets MALLOC_TRIM_THRESHOLD_, which stops glibc from raising its mmap threshold, so every
#: array above 128 KiB is mapped and unmapped afresh (one worker, 2 smoke seeds: 49 s against
#: 28 s in this process; with this, 30 s).  Set it before ``dask worker`` (README) or in
#: ``distributed.nanny.pre-spawn-environ`` for a LocalCluster.
DASK_WORKER_ENVIRON = {"MALLOC_MMAP_THRESHOLD_": 32 * 2**20}


#: a cell's result in memory with its share of the summary (measured with tracemalloc over the
#: committed quick calibration: 2.4 kB; tripled, for the longest cells' outcomes)
CELL_BYTES = 8 << 10
#: a worker process computing cells: its peak resident memory on the quick profile (measured
#: with /usr/bin/time on one seed of A3m and of A5m, the largest cells: 512 and 554 MiB), rounded up
WORKER_BYTES = 1 << 30


@dataclass(frozen=True)
class Cell:
    """One claim or one control (``is_control``) of one paper, at a profile and a seed."""

    paper: str
    check: str      # a claim id, or a control id
    is_control: bool
    profile: str
    seed: int


def repeated(paper: Paper, check: str) -> bool:
    """Whether each seed is a new trial of ``check``: not if it is seed-free and not varied."""
    return check not in paper.seed_free or paper.varies(check)


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
    """The packages' modules that importing ``module`` runs (at its top level, in ``if`` and
    ``try`` blocks and class bodies, with the parent packages each import runs), not the imports
    inside functions (a paper's CLI commands, which no cell calls)."""
    source = _source(module)
    package = module if source.name == "__init__.py" else module.rpartition(".")[0]
    names, todo = set(), list(ast.parse(source.read_text(encoding="utf-8")).body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]) \
                if node.level else ""
            target = ".".join(part for part in (base, node.module or "") if part)
            names |= {target} | {f"{target}.{a.name}" for a in node.names}
        todo.extend(ast.iter_child_nodes(node))
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


@functools.cache
def code_version(paper: str) -> str:
    """SHA-256 of the source (relative paths and contents) of :func:`_modules`: a change to
    any module a cell of ``paper`` imports changes it -- its theory, numerics and checks, the
    runner and the decision rules, and also what they import for a run's sake (the paper's
    figures, ``checks.plots``, ``checks.schema``, ``checks.interrupt``, ``checks.exit_status``);
    a change to another paper, the CLI, the report writers (``checks.report``, ``checks.junit``)
    or this module leaves it as it is."""
    digest = hashlib.sha256()
    for path in sorted({_source(m) for m in _modules(paper)}):
        digest.update(path.relative_to(_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def compute_cell(cell: Cell, version: str, context: RunContext | None = None) -> dict:
    """The cell's verdict and each outcome's name, verdict and whether it gates
    (:data:`checks.records.RESULT_SCHEMA`), with ``context`` holding what its seed's other
    cells computed (not part of the cache's address, like the result's ``elapsed_s``).
    ``version`` is the cell's paper's :func:`code_version` where the sweep was started; a
    worker whose code differs refuses the cell rather than record it under that version."""
    require_version(cell.paper, version)
    result = check_cell(cell.paper, cell.check, cell.is_control, cell.profile, cell.seed,
                        context=context, vary_instance=True)
    return {"verdict": result.verdict.value,
            "outcomes": [[o.name, o.verdict.value, o.gating] for o in result.outcomes],
            "elapsed_s": result.elapsed_s}


def cell_entry(cell: Cell, version: str, context: RunContext | None = None) -> dict:
    """:func:`compute_cell` as the cache stores it (:func:`checks.cache.entry`)."""
    return cache.entry(cell, version, compute_cell(cell, version, context))


class OtherCode(Incomplete):
    """A worker whose code of a paper is not the client's version (status 4, one line)."""


def require_version(paper: str, version: str) -> None:
    """Refuse to compute for a sweep or a run whose code of ``paper`` is another version
    (a Dask worker runs the checkout it was started from, not the client's)."""
    if version != code_version(paper):
        raise OtherCode(f"a worker's code of paper {paper} is version {code_version(paper)[:12]}, "
                        f"the client's is {version[:12]}: start the workers from the client's checkout")


def versions() -> dict[str, str]:
    """This process's code version of every paper (what a Dask worker reports to the client)."""
    return {p.id: code_version(p.id) for p in PAPERS}


def _versioned(expected: dict[str, str], fn: Callable, /, *args: Any, **kwargs: Any) -> Any:
    for paper, version in expected.items():
        require_version(paper, version)
    return fn(*args, **kwargs)


class Versioned(Executor):
    """``executor`` (a Dask cluster's) with every call checked first, where it runs, against
    this process's code version of every paper: ``run --scheduler`` on workers started from
    another checkout stops rather than report what that code computes."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self._versions = versions()

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        return self._executor.submit(_versioned, self._versions, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait)


def _stored_cells(directory: Path) -> MemorizedFunc:
    """:func:`cell_entry` memoised in the cache at ``directory``: the one key under which the
    workers store a cell and the sweep looks it up (``context`` is not part of it)."""
    return cache.memory(directory).cache(cell_entry, ignore=["context"])


def _call(task: tuple[list[tuple[Cell, str]], str | None]) -> list[dict]:
    """A worker's entry point: one seed's cells (each with its version), sharing one
    :class:`RunContext`: a claim and the controls that re-judge its numbers (a rate claimed too
    fast) compute them once, as in a run.  With a cache directory each is stored there."""
    cells_, directory = task
    context = RunContext(cells_[0][0].seed)
    if directory is None:
        return [compute_cell(cell, version, context) for cell, version in cells_]
    store = _stored_cells(Path(directory))
    return [store.call(cell, version, context)[0]["result"] for cell, version in cells_]


def require_memory(claims: list[str], profile: str, seeds: int, first_seed: int, records_path: Path | None,
                   jobs: int, limit_gib: float) -> None:
    """Refuse, before any cell is listed or any record read, a sweep whose memory would exceed
    ``limit_gib``: its cells' results (:data:`CELL_BYTES` each), the records file read into
    memory (:data:`checks.records.MEMORY_PER_BYTE` per byte; it must be a regular file) and
    its worker processes (:data:`WORKER_BYTES` each; one, this process, for ``jobs == 1``).
    The refusal names the option to change: ``--seeds`` with the number that fits, else
    ``--jobs``, ``--records`` or ``--max-memory``."""
    size = 0
    if records_path is not None and os.path.lexists(records_path):
        try:
            fd = open_regular(records_path)
        except OSError as err:
            raise ConfigError("records", f"{records_path}: {err.strerror or err}") from None
        size = os.fstat(fd).st_size
        os.close(fd)
    # the cells of one more seed: a seed-free check that is not varied runs on the first only
    per_seed = len(cells(claims, profile, [first_seed, first_seed + 1])) \
        - len(cells(claims, profile, [first_seed]))
    workers, reading = jobs * WORKER_BYTES, size * records.MEMORY_PER_BYTE
    if workers + reading > limit_gib * memory.GIB:
        field = "records" if reading > workers else "jobs" if jobs > 1 else "max-memory"
        memory.require(workers + reading, limit_gib, field,
                       f"{jobs} worker process{'es' * (jobs > 1)}"
                       + (f" and reading {records_path} ({size} bytes)" if size else ""))
    most = int((limit_gib * memory.GIB - workers - reading) // (max(per_seed, 1) * CELL_BYTES))
    memory.require(workers + reading + seeds * per_seed * CELL_BYTES, limit_gib, "seeds",
                   f"{seeds} seeds of {per_seed} cells", f"at most {most} seeds fit")


def read_records(path: Path, wanted: set[Cell]) -> dict[Cell, tuple[dict, int]]:
    """The finished cells among ``wanted`` that a records file holds (none if it does not exist),
    each with its line number.

    Every line must be a record (:func:`checks.records.parse`: its form, and its verdict
    against its outcomes).  Every record of a paper and profile that ``wanted`` has cells of
    must be of this code's version, whatever its seed (a calibration spans one version: a piece
    computed on other code would otherwise be found only when the whole is summarised);
    records of other papers or profiles are left alone.  A last line cut short (a sweep killed
    while appending: no newline, not JSON) is dropped from the file, with a word on stderr; any
    other line that is not a record, a record of another code version, or two records of one
    cell that disagree is a :class:`ConfigError` (``records``) naming the line."""
    if not os.path.lexists(path):
        return {}
    guarded = {(c.paper, c.profile) for c in wanted}
    found: dict[Cell, tuple[dict, int]] = {}
    kept = 0  # bytes of whole lines
    try:
        for number, line, ended in records.lines(path):
            if not line.strip():
                kept += len(line) + ended
                continue
            try:
                record = records.parse(line)
            except records.BadRecord as err:
                if not ended and str(err) == "not JSON":  # a torn append: no newline after it
                    print(f"icl-verify: {path}: dropped a last line cut short ({len(line)} bytes)",
                          file=sys.stderr)
                    with open(path, "r+b") as handle:
                        handle.truncate(kept)
                    break
                raise ConfigError("records", f"{path}:{number}: not a calibration record: {err}") from None
            kept += len(line) + ended
            version = record.pop("version")
            cell = Cell(*(record.pop(k) for k in ("paper", "check", "is_control", "profile", "seed")))
            if (cell.paper, cell.profile) not in guarded:
                continue
            if version != code_version(cell.paper):
                raise ConfigError("records", f"{path}:{number}: paper {cell.paper}'s code version "
                                             f"{version[:12]}, this code is {code_version(cell.paper)[:12]}: "
                                             f"a calibration spans one code version")
            if cell not in wanted:
                continue
            if cell in found and not _same(found[cell][0], record):
                raise ConfigError("records", f"{path}:{number}: two records of {cell.check} at seed "
                                             f"{cell.seed} disagree")
            found.setdefault(cell, (record, number))
    except records.BadRecord as err:
        raise ConfigError("records", str(err)) from None
    except OSError as err:
        raise ConfigError("records", f"cannot read {path}: {err.strerror or err}") from None
    return found


def append_record(handle: IO[str], cell: Cell, result: dict) -> None:
    """One finished cell, as one line, on disk before the next is appended."""
    handle.write(json.dumps({**asdict(cell), "version": code_version(cell.paper), **result}) + "\n")
    handle.flush()
    os.fsync(handle.fileno())


@contextmanager
def records_file(path: Path | None) -> Iterator[IO[str] | None]:
    """``path`` open for appending, locked against a second sweep: a regular file (created if
    missing), never a device such as /dev/full or /dev/null."""
    if path is None:
        yield None
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | os.O_NONBLOCK, 0o644)
    except OSError as err:
        raise ConfigError("records", f"cannot append to {path}: {err.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ConfigError("records", f"{path} is not a regular file")
    os.set_blocking(fd, True)
    with open(fd, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ConfigError("records", f"{path} is in use by another calibration") from None
        yield handle


def _end_line(handle: IO[str]) -> None:
    """A newline after the last record if it has none (a file concatenated or edited without
    one would glue the next record onto it)."""
    end = handle.seek(0, os.SEEK_END)
    # the last byte read by offset: a text handle may seek only to offsets it returned
    if end > 0 and os.pread(handle.fileno(), 1, end - 1) != b"\n":
        handle.write("\n")


def _same(result: dict, record: dict) -> bool:
    """Whether a recomputed cell is its record (the timing aside)."""
    return result["verdict"] == record["verdict"] and result["outcomes"] == record["outcomes"]


def _difference(result: dict, record: dict) -> str:
    """Where a recomputed cell and its record part, in words."""
    if result["verdict"] != record["verdict"]:
        return f"{result['verdict']}, not the recorded {record['verdict']}"
    for ours, theirs in zip(result["outcomes"], record["outcomes"], strict=False):
        if ours != theirs:
            return f"outcome {ours[0]!r} {ours[1]} (gating: {ours[2]}), not the recorded {theirs}"
    return f"{len(result['outcomes'])} outcomes, not the recorded {len(record['outcomes'])}"


def _tasks(cells_: list[Cell], directory: str | None) -> list[tuple[list[tuple[Cell, str]], str | None]]:
    """The cells in one task per seed, each with its paper's code version."""
    by_seed: dict[int, list[Cell]] = {}
    for cell in cells_:
        by_seed.setdefault(cell.seed, []).append(cell)
    return [([(c, code_version(c.paper)) for c in group], directory) for group in by_seed.values()]


def _each(tasks: list, executor: Executor | None) -> Iterator[tuple[list[tuple[Cell, str]], list]]:
    """Each task with its results, as they finish (in this process if ``executor`` is None)."""
    if executor is None:
        for task in tasks:
            yield task[0], _call(task)
        return
    futures = {executor.submit(_call, task): task[0] for task in tasks}
    for future in as_completed(futures):
        yield futures[future], future.result()


@dataclass(frozen=True)
class Reused:
    """A result taken from a records file or a cache instead of computed, and where from: the
    option (``records`` or ``cache``) and the place (a file's line, or "its cache entry")."""

    result: dict
    field: str
    where: str


def verify(reused: dict[Cell, Reused], k: int, executor: Executor | None) -> dict:
    """Recompute ``k`` of the reused cells, chosen at random, and refuse their source
    (:class:`ConfigError` naming ``--records`` and the line, or ``--cache``) if any recomputes
    to another verdict or other outcomes.  The choice is drawn afresh from the operating
    system's entropy on every call (reported, to tell calls apart), so that whoever edited a
    file cannot know which cells will be recomputed: with f forged cells among N, K chosen catch
    one with probability 1 - C(N - f, K) / C(N, K), at least 1 - (1 - f/N)^K."""
    entropy = np.random.SeedSequence().entropy
    chosen = list(reused)
    if k < len(chosen):
        rng = np.random.default_rng(np.random.SeedSequence(entropy))
        chosen = [chosen[i] for i in sorted(rng.choice(len(chosen), size=k, replace=False))]
    for group, results in _each(_tasks(chosen, None), executor):
        for (cell, _), result in zip(group, results, strict=True):
            source = reused[cell]
            if not _same(result, source.result):
                raise ConfigError(source.field, f"{source.where}: {cell.check} at seed {cell.seed} "
                                                f"recomputes to {_difference(result, source.result)}: "
                                                f"refused (cells chosen with SeedSequence entropy {entropy})")
    return {"cells": len(chosen), "entropy": entropy}


def _from_cache(cells_: list[Cell], directory: Path) -> dict[Cell, Reused]:
    """The cells the cache holds, each entry checked (:func:`checks.cache.checked`); an entry
    that fails is left out, to be recomputed, with a line on stderr."""
    stored = _stored_cells(directory)
    found = {}
    for cell in cells_:
        version = code_version(cell.paper)
        if not stored.check_call_in_cache(cell, version, None):
            continue
        result, why = cache.checked(cache.stored_entry(stored, cell, version, None), cell, version)
        if why is None:
            found[cell] = Reused(result, "cache", "its cache entry")
        else:
            print(f"icl-verify: cache: the entry of {cell.check} at seed {cell.seed} failed its check "
                  f"({why}): recomputed", file=sys.stderr)
    return found


def sweep(todo: list[Cell], executor: Executor | None, cache_dir: Path | None,
          progress: Callable[[int, int, str], None] = lambda *_: None,
          records: Path | None = None, verify_cells: int = 0) -> tuple[dict[Cell, dict], dict]:
    """Every cell's result (in the order of ``todo``), and how many were computed, how many
    reused (from ``records``, or from the cache, whose entries are checked here: one that fails
    is recomputed and reported on stderr), and how many reused cells were recomputed to verify
    their source (``verify_cells``: :func:`verify`).  Each cell computed or taken from the cache
    is appended to ``records``.  ``executor`` None computes in this process."""
    with records_file(records) as log:
        found = {} if records is None else read_records(records, set(todo))
        reused = {cell: Reused(record, "records", f"{records}:{line}")
                  for cell, (record, line) in found.items()}
        if cache_dir is not None:
            reused |= _from_cache([c for c in todo if c not in reused], cache_dir)
        verified = verify(reused, verify_cells, executor) if verify_cells and reused else None
        results = {cell: r.result for cell, r in reused.items()}
        if log is not None:
            _end_line(log)
            for cell, source in reused.items():
                if source.field == "cache":
                    append_record(log, cell, source.result)
        progress(len(results), len(todo), "cells")
        try:
            directory = None if cache_dir is None else str(cache_dir)
            tasks = _tasks([c for c in todo if c not in results], directory)
            for group, outcome in _each(tasks, executor):
                for (cell, _), result in zip(group, outcome, strict=True):
                    results[cell] = result
                    if log is not None:
                        append_record(log, cell, result)
                progress(len(results), len(todo), f"cells; finished seed {group[0][0].seed}")
        except ConfigError as err:  # the input was valid: a cell's own (random) setting failed
            raise Incomplete(f"a cell could not compute its own setting: {err.reason}") from err
    counts = {"computed": len(todo) - len(reused), "cached": len(reused)}
    if verified is not None:
        counts["verified"] = verified
    # in the order of ``todo``, whatever order the cells finished in
    return {c: results[c] for c in todo}, counts


def upper_bound(failures: int, trials: int) -> float:
    """Exact (Clopper-Pearson) one-sided upper bound of a rate at :data:`BOUND_LEVEL`."""
    return 1.0 if failures >= trials else float(stats.beta.ppf(BOUND_LEVEL, failures + 1, trials - failures))


def lower_bound(successes: int, trials: int) -> float:
    """Exact (Clopper-Pearson) one-sided lower bound of a rate at :data:`BOUND_LEVEL`."""
    if successes <= 0:
        return 0.0
    return float(stats.beta.ppf(1 - BOUND_LEVEL, successes, trials - successes + 1))


def _expected(cell: Cell) -> str:
    """The verdict a check must give: PASS for a claim, the control's declared one."""
    if not cell.is_control:
        return "PASS"
    return next(c for c in paper_by_id(cell.paper).controls if c.id == cell.check).expected.value


def summarise(results: dict[Cell, dict], seeds: list[int]) -> dict:
    """Per seed, the claims' and controls' verdicts; per claim and control the verdict counts
    and the exact bound (a claim's false-FAIL rate, a control's rate of its expected verdict);
    and, over whole runs, the seeds on which a run would be clean (every claim PASS, every
    control as expected) and those on which some claim FAILs -- the gate failing a true
    theorem -- each with its exact bound (the JSON of ``calibrate --json``, without ``cells``).

    A varied check's bound is over the paper's distribution of instances; another check's is
    for the paper's base settings.

    A seed-free check that is not varied is one deterministic trial: its verdict is given, and
    no bound (``null``), since one evaluation of a deterministic check is not a rate."""
    by_seed: dict[int, list[tuple[Cell, dict]]] = {seed: [] for seed in seeds}
    by_check: dict[tuple[str, str, bool], list[tuple[Cell, dict]]] = {}
    for c, r in results.items():
        by_seed[c.seed].append((c, r))
        by_check.setdefault((c.paper, c.check, c.is_control), []).append((c, r))
    per_seed = [{"seed": seed,
                 "claims": {c.check: r["verdict"] for c, r in mine if not c.is_control},
                 "controls": {c.check: r["verdict"] for c, r in mine if c.is_control}}
                for seed, mine in by_seed.items()]
    outcomes = []
    for (paper, name, is_control), mine in by_check.items():
        n, expected = len(mine), _expected(mine[0][0])
        p = paper_by_id(paper)
        deterministic = not repeated(p, name)
        row = {"id": name, "paper": paper, "kind": "control" if is_control else "claim", "trials": n,
               "seed_free": name in p.seed_free, "varied_by_instance": p.varies(name),
               "deterministic": deterministic, "expected": expected, "level": BOUND_LEVEL}
        counts = {v: sum(r["verdict"] == v for _, r in mine) for v in ("FAIL", "INCONCLUSIVE", "PASS")}
        row |= counts
        if is_control:
            bound = None if deterministic else lower_bound(counts[expected], n)
            row |= {"detected": counts[expected], "detection_lower_bound": bound}
        else:
            row["false_fail_upper_bound"] = None if deterministic else upper_bound(counts["FAIL"], n)
        outcomes.append(row)
    # a check run once (deterministic) counts on every seed
    once = [(c, r) for c, r in results.items() if not repeated(paper_by_id(c.paper), c.check)]

    def seeds_where(ok: Callable[[Cell, dict], bool]) -> int:
        return sum(all(ok(c, r) for c, r in once) and all(ok(c, r) for c, r in mine)
                   for mine in by_seed.values())

    clean = seeds_where(lambda c, r: r["verdict"] == _expected(c))
    no_fail = seeds_where(lambda c, r: c.is_control or r["verdict"] != "FAIL")
    k = len(seeds)
    runs = {"clean": clean, "seeds": k, "not_clean_upper_bound": upper_bound(k - clean, k),
            "claim_fail": k - no_fail, "claim_fail_upper_bound": upper_bound(k - no_fail, k)}
    return {"seeds": len(seeds), "per_seed": per_seed, "outcomes": outcomes, "runs": runs}


def _bound(value: float | None, o: dict) -> str:
    if o["deterministic"]:
        return f"deterministic: {'one trial' if o['trials'] == 1 else o['trials']}"
    return f"{value:.4f}" + (" (instance varied)" if o["varied_by_instance"] else "")


def table(summary: dict) -> str:
    """The terminal table: per claim the verdict counts and the false-FAIL bound, per control
    the expected verdict, how often it came, and its bound; the clean whole runs."""
    level = f"{BOUND_LEVEL:.0%}"
    lines = [f"{summary['seeds']} seeds; exact one-sided {level} bounds (Clopper-Pearson)",
             f"{'claim':<28} {'FAIL':>5} {'INCONCL.':>9} {'PASS':>5}  false-FAIL rate <="]
    for o in (o for o in summary["outcomes"] if o["kind"] == "claim"):
        lines.append(f"{o['id']:<28} {o['FAIL']:>5} {o['INCONCLUSIVE']:>9} {o['PASS']:>5}  "
                     f"{_bound(o['false_fail_upper_bound'], o)}")
    lines.append(f"{'control (expected verdict)':<40} {'as expected':>11}  detection rate >=")
    for o in (o for o in summary["outcomes"] if o["kind"] == "control"):
        lines.append(f"{o['id'] + ' (' + o['expected'] + ')':<40} {o['detected']:>4} of {o['trials']:<4}  "
                     f"{_bound(o['detection_lower_bound'], o)}")
    runs = summary["runs"]
    lines.append(f"whole runs with a claim FAIL: {runs['claim_fail']} of {runs['seeds']}; "
                 f"rate <= {runs['claim_fail_upper_bound']:.4f}")
    lines.append(f"whole runs clean (every claim PASS, every control as expected): {runs['clean']} of "
                 f"{runs['seeds']}; rate of the others <= {runs['not_clean_upper_bound']:.4f}")
    done = summary.get("cells")
    if done:
        lines.append(f"cells: {done['computed']} computed, {done['cached']} reused (cache or records)")
        if "verified" in done:
            lines.append(f"verified: {done['verified']['cells']} recorded cells recomputed to their "
                         f"records (chosen with SeedSequence entropy {done['verified']['entropy']})")
    return "\n".join(lines)
