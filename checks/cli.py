"""``icl-verify``: run the theorem checks, redraw a saved report, or compute W*(N) and E[TV]
for one setting.

Every input gets an answer or one line on stderr, never a traceback (``--debug`` adds it).  The
exit status means one thing each (:mod:`checks.exit_status`): 0 every claim PASSes and every
control is detected; 1 a claim FAILs or a control is missed; 2 bad input; 3 undecided; 4 the
command could not complete.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import textwrap
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

from checks.common import largest_classes, points_needed
from checks.exit_status import ExitStatus, Incomplete, incomplete_reason, summary
from checks.interrupt import Interrupted, check_pending, interruptible
from checks.junit import junit_incomplete, junit_xml
from checks.progress import Progress
from checks.publish import ReportTarget
from checks.registry import CLAIMS, CONTROLS, DEFAULT_CLAIMS, selection
from checks.report import atomic_write, rebuild, run_config, to_json, write_reports
from checks.runner import run
from checks.schema import ReportError, validate_report
from checks.setting import PROFILES, Budget
from checks.terminal import plus_minus, verdict_table
from numerics import memory
from numerics.config import MAX_PROMPT_LENGTH, ConfigError, NotComputable, parse_prompt_length
from numerics.estimators import MIN_SAMPLES
from numerics.minimizer import min_full_matrix_draws, require_full_matrix_draws
from numerics.priors import PRIOR_KINDS, MixturePrior, TaskPrior
from numerics.tv import expected_tv, trained_weights

#: CLI flag of each configuration field, for error messages
_FLAGS = {"directory": "DIR", "d": "--d", "cov": "--cov-diag", "snr": "--snr", "prior": "--prior",
          "classes": "--classes", "minus_scale": "--minus-scale", "p_plus": "--p-plus", "N": "--N",
          "M": "--M", "report_dir": "--report-dir", "junit_xml": "--junit-xml"}

DEFAULT_SEED = 20241015


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        raise UsageError(message)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def _seed(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def _floats(text: str) -> list[float]:
    return [_float(t) for t in text.split(",")]


def _lengths(field: str):
    def parse(text: str) -> float:
        try:
            return parse_prompt_length(field, text)
        except ConfigError as err:
            raise argparse.ArgumentTypeError(str(err).split(": ", 1)[1]) from None
    return parse


def _claims(text: str) -> list[str]:
    ids = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [i for i in ids if i not in CLAIMS]
    if unknown or not ids:
        raise argparse.ArgumentTypeError(
            f"unknown claim id(s) {unknown or [text]}; choose from {sorted(CLAIMS)}")
    return ids


def _positive(text: str) -> float:
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value:g}")
    return value


def _memory_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-memory", type=_positive, default=memory.default_limit(), metavar="GIB",
                   help="refuse, before computing, inputs whose estimated memory exceeds this "
                        "many GiB: a number > 0; default half this machine's memory "
                        "(%(default).3g here)")


def _debug_option(p: argparse.ArgumentParser) -> None:
    # on every subcommand too, so that ``icl-verify run --debug`` works as well
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="on an error, also print the Python traceback")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="icl-verify", description=__doc__.split("\n\n")[0].replace("\n", " "),
                epilog=f"exit status: {summary()}")
    _debug_option(p)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run the claim checks and their negative controls",
                       epilog=f"exit status: {summary()}")
    r.add_argument("--profile", choices=sorted(PROFILES), default="quick",
                   help="budget: smoke (plumbing only, verdicts not meant to be read), quick "
                        "(a few minutes on 2 cores) or full (hours); default %(default)s")
    r.add_argument("--claims", type=_claims, default=list(DEFAULT_CLAIMS), metavar="IDS",
                   help=f"comma-separated claim ids from {', '.join(CLAIMS)} (a repeated id runs "
                        "once); default: all")
    r.add_argument("--seed", type=_seed, default=DEFAULT_SEED,
                   help="root of every random stream: an integer >= 0; default %(default)s")
    r.add_argument("--classes", type=_int, default=None, metavar="C",
                   help="an integer c >= 2: run A1, A2 on the c-class softmax model and A3m, A5m "
                        "at this c only; c is at most what the profile's N grid can fit "
                        "(N >= c^2 on at least 5 grid points: smoke 8, quick 128, full 256); "
                        "default: A1, A2 binary, A3m, A5m sweep c")
    r.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR",
                   help="directory the report set is written to, replaced whole at the end; "
                        "it must not exist, be empty, or hold an earlier report; default %(default)s")
    r.add_argument("--junit-xml", type=Path, default=None, metavar="PATH",
                   help="also write the verdicts as JUnit XML, one testcase per claim and "
                        "control (a run that could not complete writes one <error>); default: none")
    r.add_argument("--dry-run", action="store_true",
                   help="check every option and claim the report directory (its parent and lock file "
                        "are created), print what would run, and exit 0 without computing or writing "
                        "a report")
    _memory_option(r)
    _debug_option(r)

    rep = sub.add_parser("report", help="redraw report.html, report.md and figures/ from "
                                        "DIR/report.json (no recomputation); exit status as the run's",
                         epilog=f"exit status: {summary()}")
    rep.add_argument("directory", type=Path, metavar="DIR",
                     help="a report directory that a run wrote (it holds report.json)")
    _debug_option(rep)

    def setting_options(q: argparse.ArgumentParser) -> None:
        q.add_argument("--d", type=_int, required=True,
                       help="input dimension: an integer >= 1 (required)")
        q.add_argument("--snr", type=_float, default=1.0, metavar="R",
                       help="signal-to-noise scale R of the class means: a number > 0; "
                            "default %(default)s")
        q.add_argument("--classes", type=_int, default=2, metavar="C",
                       help="number of classes: an integer >= 2; default 2, the binary model")
        q.add_argument("--prior", default=None, choices=sorted(PRIOR_KINDS),
                       help="task prior: antipodal (default for c = 2), independent (default and "
                            "only choice for c > 2) or aligned (one fixed task; W* by Monte Carlo)")
        q.add_argument("--cov-diag", type=_floats, default=None, metavar="V1,...,VD",
                       help="diagonal of the covariance Lambda: d numbers > 0 whose ratio "
                            "largest/smallest is at most 1e8; default: the identity")
        q.add_argument("--minus-scale", type=_float, default=1.0, metavar="KAPPA",
                       help="norm of mu_minus relative to mu_plus (binary only): a number > 0; "
                            "default %(default)s, the paper's equal norms")
        q.add_argument("--p-plus", type=_float, default=0.5, metavar="P",
                       help="P(y = +1) (binary only): a number in (0, 1); default %(default)s")
        q.add_argument("--seed", type=_seed, default=0,
                       help="root of the random stream: an integer >= 0; default %(default)s")
        q.add_argument("--samples", type=_int, default=200_000, metavar="B",
                       help=f"Monte Carlo draws (c classes, the aligned prior, and E[TV]): an "
                            f"integer >= {MIN_SAMPLES} (the aligned prior: >= 10^4 (d/3)^4, d <= 10), "
                            "as many as --max-memory allows; default %(default)s")
        q.add_argument("--json", action="store_true",
                       help="print JSON instead of the short human-readable answer")
        _memory_option(q)
        _debug_option(q)

    lengths = f"a positive integer <= 2^53 ({MAX_PROMPT_LENGTH}) or inf"
    m = sub.add_parser("minimizer", help="W*(N), the minimiser of the expected loss, for one setting",
                       epilog=f"exit status: {summary(single_answer=True)}")
    m.add_argument("--N", type=_lengths("--N"), required=True,
                   help=f"training prompt length: {lengths} (required)")
    setting_options(m)
    t = sub.add_parser("tv", help="E[TV] between the Bayes and the model's label laws, for one setting",
                       epilog=f"exit status: {summary(single_answer=True)}")
    t.add_argument("--N", type=_lengths("--N"), required=True,
                   help=f"training prompt length: {lengths} (required)")
    t.add_argument("--M", type=_lengths("--M"), required=True,
                   help=f"test prompt length: {lengths} (required)")
    setting_options(t)
    return p


def _prior(args: argparse.Namespace) -> TaskPrior | MixturePrior:
    if args.classes < 2:
        raise ConfigError("classes", f"must be >= 2, got {args.classes}")
    if args.classes > 2:
        return _mixture(args)
    return TaskPrior(d=args.d, kind=args.prior or "antipodal", snr=args.snr, cov=_cov(args),
                     minus_scale=args.minus_scale, p_plus=args.p_plus)


def _mixture(args: argparse.Namespace) -> MixturePrior:
    if (args.prior or "independent") != "independent":
        raise ConfigError("prior", f"c > 2 classes use the independent prior, got {args.prior!r}")
    for flag, value, default in (("minus_scale", args.minus_scale, 1.0), ("p_plus", args.p_plus, 0.5)):
        if value != default:
            raise ConfigError(flag, "applies to the binary model only (c = 2)")
    return MixturePrior(d=args.d, classes=args.classes, snr=args.snr, cov=_cov(args))


def _cov(args: argparse.Namespace) -> np.ndarray | None:
    """The covariance from --cov-diag (None: the identity), after checking --d and that its
    d x d matrices fit in memory."""
    if args.d < 1:
        raise ConfigError("d", f"must be >= 1, got {args.d}")
    matrices = memory.prior(args.d) + (memory.matrix_output(args.d) if args.command == "minimizer" else 0)
    memory.require_fixed(matrices, args.max_memory, "d", f"d = {args.d} (its d x d matrices)")
    if args.cov_diag is None:
        return None
    if len(args.cov_diag) != args.d:
        raise ConfigError("cov", f"needs {args.d} values, got {len(args.cov_diag)}")
    return np.diag(args.cov_diag)


def _check_resources(args: argparse.Namespace, prior: TaskPrior | MixturePrior) -> None:
    """--samples and the memory the command will need (:mod:`numerics.memory`), before any of it
    is allocated; what does not fit is refused naming the option to change."""
    if args.samples < MIN_SAMPLES:
        raise ConfigError("samples", f"must be >= {MIN_SAMPLES} (fewer draws give no trustworthy "
                                     f"error estimate), got {args.samples}")
    d = prior.d
    fixed = memory.prior(d) + (memory.matrix_output(d) if args.command == "minimizer" else 0)
    finite = not math.isinf(args.N)
    full = False  # W* by full-matrix Monte Carlo
    if isinstance(prior, MixturePrior):
        per_draw = memory.class_ray(1, prior.classes, d) if finite or args.command == "tv" else 0
    else:
        fixed += memory.QUADRATURE if prior.invariant and finite else 0
        full = not prior.invariant
        if full:  # before the memory, whose advice must name a count that is accepted
            require_full_matrix_draws(d, args.samples)
        # the Newton minimiser's d^4 Hessian work is paid once, its d^2 per draw
        fixed += memory.full_minimizer(0, d) if full else 0
        train = memory.full_minimizer(1, d) - memory.full_minimizer(0, d) if full else 0
        per_draw = max(train, memory.prompts(1, d) if args.command == "tv" else 0)
    memory.require_draws(fixed, per_draw, args.samples, args.max_memory,
                         "classes" if isinstance(prior, MixturePrior) else "d",
                         f"d = {d}" + (f", c = {prior.classes}" if isinstance(prior, MixturePrior) else ""),
                         min_full_matrix_draws(d) if full else MIN_SAMPLES)


def _check_classes(args: argparse.Namespace, budget: Budget) -> None:
    """``run --classes C``: C within what the profile's N grid can fit, and within memory."""
    if args.classes is None:
        return
    if args.classes < 2:
        raise ConfigError("classes", f"must be >= 2, got {args.classes}")
    most = largest_classes(budget)
    if args.classes > most:
        raise ConfigError("classes", f"c = {args.classes} needs N >= c^2 = {args.classes**2} on at "
                                     f"least {points_needed(correction=True)} points of the "
                                     f"{budget.name} profile's N grid (up to {max(budget.class_n_grid)}); "
                                     f"at most c = {most} at this profile")
    draws = max(budget.class_mc_size, budget.class_tv_size, budget.a1_eval_size, budget.a2_size)
    memory.require(memory.class_ray(draws, args.classes, budget.class_dim), args.max_memory, "classes",
                   f"c = {args.classes} at the {budget.name} profile ({draws} draws)")


def _junit_incomplete(path: Path, err: BaseException, start: float) -> None:
    """Write the JUnit file of a run that could not complete; a path that cannot be written is
    left, since the exit status says it all."""
    try:
        atomic_write(path, junit_incomplete(incomplete_reason(err), time.perf_counter() - start))
    except OSError:
        pass


def _cmd_run(args: argparse.Namespace) -> int:
    budget = PROFILES[args.profile]
    _check_classes(args, budget)
    start = time.perf_counter()
    junit_apart = False
    try:
        with ReportTarget(args.report_dir) as target:
            junit_apart = args.junit_xml is not None and not target.holds("junit_xml", args.junit_xml)
            if args.dry_run:
                claims = selection(args.claims)
                controls = [c.id for c in CONTROLS if c.claim in claims]
                print(f"dry run: would check {', '.join(claims)} and {len(controls)} negative "
                      f"controls at the {args.profile} profile, seed {args.seed}"
                      + (f", c = {args.classes}" if args.classes else "")
                      + f", into {target.target}; every option is valid")
                return ExitStatus.OK
            try:
                try:
                    with Progress(sys.stderr) as progress:
                        result = run(args.claims, budget, args.seed, progress=progress, classes=args.classes)
                        progress.stage(f"writing the report to {target.target}")
                except ConfigError as err:  # the input was valid: a check's own setting failed
                    raise Incomplete(f"a check could not compute its own setting: {err.reason}") from err
                config = run_config(args.profile, budget.describe(), [c.id for c in result.claims],
                                    args.seed, args.classes)
                report = write_reports(result, config, target.staging)
                if args.junit_xml is not None and not junit_apart:
                    atomic_write(target.staging / args.junit_xml.name, junit_xml(report))
                target.publish()
            except BaseException as err:
                if args.junit_xml is not None and not junit_apart and not target.published \
                        and target.target.is_dir():
                    # the old set's JUnit file would tell the CI the old verdicts: it alone is
                    # replaced, while the lock is still held (a signal deferred across the swap
                    # arrives after it: the new set is whole and keeps its own)
                    _junit_incomplete(args.junit_xml, err, start)
                raise
    except ConfigError:
        raise
    except BaseException as err:
        if junit_apart:  # tell the CI the run could not complete, not that a claim failed
            _junit_incomplete(args.junit_xml, err, start)
        raise
    if junit_apart:
        atomic_write(args.junit_xml, junit_xml(report))
    print(verdict_table(report))
    print(f"report written to {target.target}: report.html, report.md (figures/), report.json")
    return report["exit_status"]


def _cmd_report(args: argparse.Namespace) -> int:
    source = args.directory / "report.json"
    if not source.is_file():
        raise ConfigError("directory", f"no report.json in {str(args.directory)!r}")
    with ReportTarget(args.directory, field="directory") as target:
        text = source.read_text(encoding="utf-8")
        try:
            validate_report(json.loads(text))
        except (json.JSONDecodeError, UnicodeDecodeError, ReportError) as err:
            raise ConfigError("directory", f"{source} is not a report this icl-verify can redraw: "
                                           f"{' '.join(str(err).split())}") from None
        report = rebuild(text, target.staging)
        for junit in target.junit_files:  # part of the set: redrawing keeps it
            shutil.copy2(junit, target.staging / junit.name)
        target.publish()
    print(f"report redrawn in {target.target}: report.html, report.md (figures/)")
    return report["exit_status"]


def _describe_setting(prior: TaskPrior | MixturePrior) -> str:
    desc = prior.describe()
    parts = [f"{desc['kind']} prior", f"d = {desc['d']}", f"R = {desc['snr']:g}"]
    if isinstance(prior, MixturePrior):
        parts.insert(1, f"c = {prior.classes}")
    elif prior.minus_scale != 1 or prior.p_plus != 0.5:
        parts += [f"kappa = {prior.minus_scale:g}", f"P(y=+1) = {prior.p_plus:g}"]
    if not np.array_equal(prior.cov, np.eye(prior.d)):
        parts.append("Lambda = diag(--cov-diag)")
    return ", ".join(parts)


def _length(n: float) -> str:
    return "inf" if math.isinf(n) else str(int(n))


def _cmd_minimizer(args: argparse.Namespace) -> int:
    prior = _prior(args)
    _check_resources(args, prior)
    rng = np.random.default_rng(np.random.SeedSequence(args.seed))
    star = trained_weights(prior, args.N, rng, train_size=args.samples)
    if args.json:
        classes = {"classes": prior.classes} if isinstance(prior, MixturePrior) else {}
        print(to_json({"W": star.w, "alpha": star.alpha, "error_estimate": star.error_estimate,
                       "method": star.method, "N": args.N, **classes, "prior": prior.describe()}))
        return 0
    print(f"W*(N = {_length(args.N)}) for the {_describe_setting(prior)}; method: {star.method}")
    if star.method == "limit":
        print(f"  W* = alpha Lambda^-1 with alpha = {star.alpha:g} exactly (the N = inf limit)")
    elif star.alpha is not None:
        error = star.error_estimate / float(np.abs(prior.precision).max())
        print(f"  W* = alpha Lambda^-1 with alpha = {plus_minus(star.alpha, error)}")
    else:
        print(f"  W* =\n{textwrap.indent(np.array2string(star.w, precision=6), '    ')}")
        print(f"  largest standard error of an entry: {star.error_estimate:.2g}")
    return 0


def _cmd_tv(args: argparse.Namespace) -> int:
    prior = _prior(args)
    _check_resources(args, prior)
    rng = np.random.default_rng(np.random.SeedSequence(args.seed))
    est = expected_tv(prior, args.N, args.M, rng, size=args.samples)
    if args.json:
        print(to_json({"tv": float(est.value), "stderr": float(est.stderr), "N": args.N,
                       "M": args.M, "samples": args.samples, "prior": prior.describe()}))
        return 0
    print(f"E[TV](N = {_length(args.N)}, M = {_length(args.M)}) for the {_describe_setting(prior)}:")
    print(f"  {plus_minus(float(est.value), float(est.stderr))} "
          f"(Monte Carlo over {args.samples} draws; ± one standard error)")
    return 0


COMMANDS = {"run": _cmd_run, "report": _cmd_report, "minimizer": _cmd_minimizer, "tv": _cmd_tv}


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
            args = _parser().parse_args(argv)
            status = COMMANDS[args.command](args)
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
        except (Interrupted, KeyboardInterrupt, Exception) as err:
            if debug:
                traceback.print_exc()
            _silence_stdout()
            _say(f"incomplete: {incomplete_reason(err)}")
            return ExitStatus.INCOMPLETE


if __name__ == "__main__":
    sys.exit(main())
