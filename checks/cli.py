"""``icl-verify``: run the theorem checks, redraw a saved report, or compute W*(N) and E[TV]
for one setting.

Every input gets an answer or one line on stderr, never a traceback (``--debug`` adds it).  The
exit status means one thing each (:mod:`checks.exit_status`): 0 every claim PASSes and every
control is detected; 1 a claim FAILs; 2 bad input; 3 undecided (a claim or a control
INCONCLUSIVE); 4 the command could not complete; 5 a control decided the wrong way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shutil
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

from checks import calibrate as calibration
from checks import saved_report, workers
from checks.arguments import Parser, UsageError, debug_option, integer, memory_option, path, seed
from checks.exit_status import ExitStatus, Incomplete, incomplete_reason, summary
from checks.files import atomic_write
from checks.interrupt import Interrupted, check_pending, interruptible, settled
from checks.junit import junit_incomplete, junit_xml
from checks.paper import PROFILE_NAMES
from checks.papers import PAPERS, all_claims, controls_of, paper_of, selection
from checks.progress import Progress
from checks.publish import ReportTarget, writable_folder
from checks.report import rebuild, run_config, write_reports
from checks.runner import plan, run, units_of
from checks.schema import ReportError
from checks.terminal import verdict_table
from numerics.config import ConfigError, NotComputable

#: CLI flag of each configuration field whose flag is not ``--field-name``, for error messages
_FLAGS = {"directory": "DIR", **{k: v for p in PAPERS for k, v in p.flags.items()}}

DEFAULT_SEED = 20241015


def _claims(text: str) -> list[str]:
    ids = [t.strip() for t in text.split(",") if t.strip()]
    known = all_claims()
    unknown = [i for i in ids if i not in known]
    if unknown or not ids:
        raise argparse.ArgumentTypeError(
            f"unknown claim id(s) {unknown or [text]}; choose from {', '.join(known)}")
    return ids


def _parser() -> tuple[argparse.ArgumentParser, dict[str, Callable[[argparse.Namespace], int]]]:
    """The parser and each subcommand's handler: ``run`` and ``report`` (the core's), then
    each paper's own commands."""
    p = Parser(prog="icl-verify", description=__doc__.split("\n\n")[0].replace("\n", " "),
               epilog=f"exit status: {summary()}")
    debug_option(p)
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    r = sub.add_parser("run", help="run the claim checks and their negative controls",
                       epilog=f"exit status: {summary()}")
    r.add_argument("--profile", choices=PROFILE_NAMES, default="quick",
                   help="budget: smoke (plumbing only, verdicts not meant to be read), quick "
                        "(a few minutes on 2 cores) or full (hours); default %(default)s")
    r.add_argument("--claims", type=_claims, default=list(all_claims()), metavar="IDS",
                   help=f"comma-separated claim ids from {', '.join(all_claims())} (a repeated id "
                        "runs once); default: all")
    r.add_argument("--seed", type=seed, default=DEFAULT_SEED,
                   help="root of every random stream: an integer >= 0; default %(default)s")
    for option in (o for paper in PAPERS for o in paper.run_options):
        r.add_argument(option.flag, **option.kwargs)
    r.add_argument("--report-dir", type=path, default=Path("reports"), metavar="DIR",
                   help="directory the report set is written to, replaced whole at the end; "
                        "it must not exist, be empty, or hold an earlier report; default %(default)s")
    r.add_argument("--junit-xml", type=path, default=None, metavar="PATH",
                   help="also write the verdicts as JUnit XML, one testcase per claim and "
                        "control (a run that could not complete writes one <error>); default: none")
    r.add_argument("--dry-run", action="store_true",
                   help="check every option and claim the report directory (its parent and lock file "
                        "are created), print what would run, and exit 0 without computing or writing "
                        "a report")
    r.add_argument("--jobs", type=integer, default=None, metavar="J",
                   help="local worker processes the checks are spread over (each check draws from "
                        "its own streams, so the report is the same for every J): an integer >= 1, "
                        "1 for every check in this process; not with --scheduler; default: the "
                        f"cores this process may use ({workers.cores()} here)")
    r.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a Dask distributed scheduler (e.g. tcp://host:8786) to spread the checks over, "
                        "each with its own streams, so the results are the same (needs the dask "
                        "extra); default: none, local processes (--jobs)")
    memory_option(r)
    debug_option(r)

    rep = sub.add_parser("report", help="redraw report.html, report.md and figures/ from "
                                        "DIR/report.json (no recomputation); exit status as the run's",
                         epilog=f"exit status: {summary()}")
    rep.add_argument("directory", type=path, metavar="DIR",
                     help="a report directory that a run wrote (it holds report.json)")
    debug_option(rep)
    c = sub.add_parser("calibrate", help="the suite's error rates: every selected claim and control "
                                         "over many seeds, with exact bounds (resumable: --cache, --records)",
                       epilog="exit status: 0 done; 2 bad input; 4 interrupted (finished cells are kept "
                              "in --cache and --records)")
    c.add_argument("--profile", choices=PROFILE_NAMES, default="quick",
                   help="budget of every cell (as for run); default %(default)s")
    c.add_argument("--claims", type=_claims, default=list(all_claims()), metavar="IDS",
                   help="comma-separated claim ids; their controls come with them; default: all")
    c.add_argument("--seeds", type=integer, required=True, metavar="K",
                   help="number of seeds: an integer >= 1 (required)")
    c.add_argument("--first-seed", type=seed, default=0, metavar="S",
                   help="the seeds are S, S+1, ..., S+K-1: an integer >= 0; default %(default)s")
    c.add_argument("--jobs", type=integer, default=None, metavar="J",
                   help="local worker processes: an integer >= 1; not with --scheduler, whose "
                        "workers set the parallelism; default 1")
    c.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a Dask distributed scheduler (e.g. tcp://host:8786) to send the cells to "
                        "instead of local processes (needs the dask extra); default: none")
    c.add_argument("--cache", type=path, default=None, metavar="DIR",
                   help="directory of finished cells, keyed by the paper's code version, the profile, "
                        "the check and the seed: a rerun reuses them; default: none")
    c.add_argument("--records", type=path, default=None, metavar="FILE",
                   help="JSON Lines file of finished cells, one code version: the cells it holds are "
                        "reused, each seed's new ones are appended when the seed finishes (commit it "
                        "to resume a calibration elsewhere); default: none")
    c.add_argument("--verify", type=integer, default=None, metavar="K",
                   help="with --records or --cache: first recompute K of the cells they hold, chosen "
                        "at random, and refuse the file or the cache if any differs from what it "
                        "holds: an integer >= 1; default: none (every record and cache entry is still "
                        "checked against its own outcomes)")
    c.add_argument("--json", action="store_true",
                   help="print the per-seed verdicts, the counts and bounds, and the cells computed "
                        "and reused as JSON")
    memory_option(c)
    debug_option(c)
    commands = {"run": _cmd_run, "report": _cmd_report, "calibrate": _cmd_calibrate}
    for paper in PAPERS:
        commands.update(paper.commands(sub))
    return p, commands


def _run_options(args: argparse.Namespace) -> dict:
    """The papers' run options, each validated against its paper's budget at the profile."""
    options = {}
    for paper in PAPERS:
        for option in paper.run_options:
            option.validate(args, paper.profiles[args.profile])
            options[option.dest] = getattr(args, option.dest)
    return options


def _junit_incomplete(path: Path, err: BaseException, start: float) -> None:
    """Write the JUnit file of a run that could not complete; a path that cannot be written is
    left, since the exit status says it all."""
    try:
        atomic_write(path, junit_incomplete(incomplete_reason(err), time.perf_counter() - start))
    except OSError:
        pass


def _jobs(args: argparse.Namespace, default: int) -> int:
    """``--jobs``, checked against ``--scheduler``; ``default`` where it is not given."""
    if args.jobs is not None and args.scheduler is not None:
        raise ConfigError("jobs", "sets local processes; with --scheduler the cluster's workers "
                                  "set the parallelism: drop one of them")
    if args.jobs is not None and args.jobs < 1:
        raise ConfigError("jobs", f"must be >= 1, got {args.jobs}")
    return default if args.jobs is None else args.jobs


def _cmd_run(args: argparse.Namespace) -> int:
    # no more processes than work units; the papers' memory checks count them
    args.jobs = min(_jobs(args, workers.cores()), len(units_of(plan(args.claims))))
    options = _run_options(args)
    # a --scheduler that cannot be reached (or Dask missing) is bad input, found before the
    # report directory is claimed, a dry run included
    with contextlib.ExitStack() as stack:
        executor = _executor(args.scheduler, args.jobs, stack, "debug" in args)
        if args.scheduler is not None:
            # a calibration cell checks its own code version where it runs; a run's checks
            # do not, so each call to the cluster is checked first
            executor = calibration.Versioned(executor)
        return _run_into_report(args, options, executor)


def _run_into_report(args: argparse.Namespace, options: dict, executor: Executor | None) -> int:
    """``run``: the checks (on ``executor``, if any) and their report set, published whole,
    the JUnit file with it.  Every output path is checked before the checks run."""
    start = time.perf_counter()
    target = ReportTarget(args.report_dir)  # every output checked before anything is written
    junit_inside = args.junit_xml is not None and target.holds("junit_xml", args.junit_xml)
    with target:
        if args.dry_run:
            claims = selection(args.claims)
            controls = controls_of(claims)
            papers = dict.fromkeys(paper_of(c).id for c in claims)
            chosen = ", ".join(f"{k} = {v}" for k, v in options.items() if v is not None)
            print(f"dry run: would check {', '.join(claims)} and {len(controls)} negative controls "
                  f"(paper {', '.join(papers)}) at the {args.profile} profile, seed {args.seed}"
                  + (f", {chosen}" if chosen else "")
                  + (f", on the Dask scheduler at {args.scheduler}" if args.scheduler else "")
                  + f", into {target.target}; every option is valid")
            return ExitStatus.OK
        try:
            try:
                with Progress(sys.stderr) as progress:
                    result = run(args.claims, args.profile, args.seed, progress=progress,
                                 options=options, executor=executor)
                    progress.stage(f"writing the report to {target.target}")
            except ConfigError as err:  # the input was valid: a check's own setting failed
                raise Incomplete(f"a check could not compute its own setting: {err.reason}") from err
            config = run_config(result, args.profile, args.seed, options)
            report = write_reports(result, config, target.staging)
            if args.junit_xml is not None:
                target.add("junit_xml", args.junit_xml, junit_xml(report))
            table = verdict_table(report)
            target.publish(report["exit_status"])
        except BaseException as err:
            # tell the CI the run could not complete, not the old verdicts: a JUnit file inside
            # the old set alone is replaced, while the lock is still held
            if args.junit_xml is not None and not target.published \
                    and (not junit_inside or target.target.is_dir()):
                _junit_incomplete(args.junit_xml, err, start)
            raise
    return _published(report["exit_status"], table,
                      f"report written to {target.target}: report.html, report.md (figures/), report.json")


def _published(status: int, *lines: str) -> int:
    """What a command prints once its output is published (which settled its status,
    :meth:`checks.publish.ReportTarget.publish`), and its status: a closed stdout cannot change
    it to 4 either, since what the status reports is already on disk."""
    try:
        print(*lines, sep="\n")
        sys.stdout.flush()
    except OSError:
        _silence_stdout()
    return status


def _cmd_report(args: argparse.Namespace) -> int:
    source = args.directory / "report.json"
    if not os.path.lexists(source):
        raise ConfigError("directory", f"no report.json in {str(args.directory)!r}")
    with ReportTarget(args.directory, field="directory") as target:
        try:
            text, report = saved_report.read(source)
        except ReportError as err:
            raise ConfigError("directory", f"{source} is not a report this icl-verify can redraw: "
                                           f"{err}") from None
        report = rebuild(text, report, target.staging)
        for junit in target.junit_files:  # part of the set: redrawing keeps it
            shutil.copy2(junit, target.staging / junit.name)
        target.publish(report["exit_status"])
    return _published(report["exit_status"], f"report redrawn in {target.target}: report.html, report.md "
                                             "(figures/)")


def _executor(scheduler: str | None, jobs: int, stack: contextlib.ExitStack,
              debug: bool = False) -> Executor | None:
    """Where checks run: a Dask cluster's executor at ``scheduler`` (its workers' code versions
    checked first), else ``jobs`` local processes (None: this process); closed, with its Dask
    client, when ``stack`` is.  ``debug``: leave Dask's own logging on."""
    if scheduler is None:
        return stack.enter_context(workers.processes(jobs))
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("scheduler", "needs Dask distributed: pip install 'icl-verify[dask]'") from None
    if not debug:  # Dask logs a lost connection with its traceback: the exit status and one line tell it
        for name in [*logging.root.manager.loggerDict, "distributed"]:
            if name.split(".")[0] in ("distributed", "tornado"):
                logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    try:
        client = stack.enter_context(Client(scheduler, timeout=10))
        reported = client.run(calibration.versions)
    except (OSError, TimeoutError, ValueError) as err:
        raise ConfigError("scheduler", f"cannot reach a Dask scheduler at {scheduler!r} "
                                       f"({' '.join(str(err).split())[:160]})") from None
    except Exception as err:  # a worker's own error, sent back: it cannot run icl-verify
        why = f"{type(err).__name__}: {' '.join(str(err).split())[:120]}"
        raise ConfigError("scheduler", f"a worker of {scheduler!r} cannot run this icl-verify "
                                       f"({why})") from None
    ours = calibration.versions()
    for worker, theirs in reported.items():
        for paper, version in theirs.items():
            if ours.get(paper) != version:
                raise ConfigError("scheduler", f"the worker {worker} runs other code of paper {paper} "
                                               f"(version {version[:12]}; this checkout's is "
                                               f"{str(ours.get(paper))[:12]}): start the workers from "
                                               "this checkout")
    return client.get_executor()


def _writable_directory(path: Path, field: str) -> None:
    """``path`` a directory this process can make and write in, checked without writing
    anything (:func:`checks.publish.writable_folder`), or bad input naming ``field``."""
    if os.path.lexists(path) and not os.path.isdir(path):
        raise ConfigError(field, f"{path} is not a directory")
    writable_folder(field, path, path)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    if args.seeds < 1:
        raise ConfigError("seeds", f"must be >= 1, got {args.seeds}")
    jobs = _jobs(args, 1)
    if args.verify is not None and ((args.records is None and args.cache is None) or args.verify < 1):
        raise ConfigError("verify", f"must be >= 1, got {args.verify}" if args.verify < 1 else
                          "recomputes cells that --records or --cache holds: give one of them")
    if args.cache is not None:
        _writable_directory(args.cache, "cache")
    # a pool of more processes than seeds would idle: the rest are not started
    jobs = min(jobs, args.seeds)
    calibration.require_memory(args.claims, args.profile, args.seeds, args.first_seed, args.records,
                               jobs, args.max_memory)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    todo = calibration.cells(args.claims, args.profile, seeds)
    with contextlib.ExitStack() as stack:
        executor = _executor(args.scheduler, jobs, stack, "debug" in args)
        with Progress(sys.stderr) as progress:
            results, counts = calibration.sweep(todo, executor, args.cache, progress, args.records,
                                                verify_cells=args.verify or 0)
    summary_ = calibration.summarise(results, seeds) | {"cells": counts}
    if args.json:
        print(json.dumps(summary_, indent=1))
        return 0
    print(calibration.table(summary_))
    return 0


def _say(line: str) -> None:
    try:
        print(f"icl-verify: {line}", file=sys.stderr, flush=True)
    except OSError:
        pass  # stderr itself is gone: the exit status still tells


def _silence_stdout() -> None:
    """After a failed write to stdout the unwritten rest stays buffered, and the interpreter's
    final flush would fail again with a traceback: point stdout at /dev/null instead."""
    try:
        sys.stdout.flush()
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    # floating-point warnings (an overflow that a later step handles) are for --debug only:
    # every outcome that matters reaches the user as an answer or one line
    with interruptible(), warnings.catch_warnings():
        if not debug:
            warnings.simplefilter("ignore")
        try:
            parser, commands = _parser()
            args = parser.parse_args(argv)
            status = commands[args.command](args)
            check_pending()  # a signal whose exception was lost (checks.interrupt._pending)
            sys.stdout.flush()
            return int(status)
        except UsageError as err:
            _say(f"error: {err}")
            return ExitStatus.BAD_INPUT
        except ConfigError as err:
            if debug:
                traceback.print_exc()
            if isinstance(err, NotComputable) and err.field == "setting":
                _say(f"cannot compute this setting: {err.reason}")
            else:
                flag = _FLAGS.get(err.field, f"--{err.field.replace('_', '-')}")
                _say(f"error: {flag}: {err.reason}")
            return ExitStatus.BAD_INPUT
        except (Interrupted, KeyboardInterrupt, asyncio.CancelledError, Exception) as err:
            if debug:
                traceback.print_exc()
            _silence_stdout()
            if settled() is not None:  # the output is out: its status stands (exit 4 never follows it)
                _say(f"warning: after the output was published: {incomplete_reason(err)}")
                return settled()
            _say(f"incomplete: {incomplete_reason(err)}")
            return ExitStatus.INCOMPLETE


if __name__ == "__main__":
    sys.exit(main())
