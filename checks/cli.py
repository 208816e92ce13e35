"""``icl-verify``: run the theorem checks, or compute W*(N) and E[TV] for one setting.

Exit status: 0 all claims PASS and all controls detected; 1 a claim or control is wrong;
2 bad input (one line on stderr naming the field, no traceback).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from checks.junit import junit_xml
from checks.progress import Progress
from checks.registry import CLAIMS, DEFAULT_CLAIMS
from checks.report import atomic_write, rebuild, run_config, to_json, write_reports
from checks.runner import run
from checks.setting import PROFILES
from numerics.config import ConfigError, parse_prompt_length
from numerics.estimators import Estimate
from numerics.priors import PRIOR_KINDS, MixturePrior, TaskPrior
from numerics.sufficient_stats import draw_class_noise
from numerics.tv import class_tv_per_sample, expected_tv, trained_weights

#: CLI flag of each configuration field, for error messages
_FLAGS = {"directory": "DIR", "d": "--d", "cov": "--cov-diag", "snr": "--snr", "prior": "--prior",
          "classes": "--classes", "minus_scale": "--minus-scale", "p_plus": "--p-plus", "N": "--N",
          "M": "--M"}


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


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="icl-verify", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run the claim checks and their negative controls",
                       epilog="exit status: 0 every claim PASSes and every control is detected; "
                              "1 a claim FAILs or a control is missed; 2 bad arguments; "
                              "3 otherwise some claim is INCONCLUSIVE")
    r.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    r.add_argument("--claims", type=_claims, default=list(DEFAULT_CLAIMS))
    r.add_argument("--seed", type=_int, default=20241015)
    r.add_argument("--classes", type=_int, default=None,
                   help="run A1, A2 on the c-class softmax model and A3m, A5m at this c only "
                        "(default: A1, A2 binary, i.e. c = 2; A3m, A5m sweep c)")
    r.add_argument("--report-dir", type=Path, default=Path("reports"))
    r.add_argument("--junit-xml", type=Path, default=None, metavar="PATH",
                   help="also write the verdicts as JUnit XML (one testcase per claim and control)")

    rep = sub.add_parser("report", help="redraw report.html and report.md from DIR/report.json "
                                        "(no recomputation); exit status as the run's")
    rep.add_argument("directory", type=Path, metavar="DIR")

    def setting_options(q: argparse.ArgumentParser) -> None:
        q.add_argument("--d", type=_int, required=True)
        q.add_argument("--snr", type=_float, default=1.0)
        q.add_argument("--classes", type=_int, default=2,
                       help="number of classes c (default 2: the binary model)")
        q.add_argument("--prior", default=None,
                       help="antipodal (default for c = 2) | independent (default and only choice for c > 2) "
                            "| aligned")
        q.add_argument("--cov-diag", type=_floats, default=None)
        q.add_argument("--minus-scale", type=_float, default=1.0)
        q.add_argument("--p-plus", type=_float, default=0.5)
        q.add_argument("--seed", type=_int, default=0)
        q.add_argument("--samples", type=_int, default=200_000)
        q.add_argument("--json", action="store_true", help="print JSON (the only output format)")

    m = sub.add_parser("minimizer", help="W*(N) for one setting")
    m.add_argument("--N", type=_lengths("--N"), required=True)
    setting_options(m)
    t = sub.add_parser("tv", help="E[TV] for one setting")
    t.add_argument("--N", type=_lengths("--N"), required=True)
    t.add_argument("--M", type=_lengths("--M"), required=True)
    setting_options(t)
    return p


def _prior(args: argparse.Namespace) -> TaskPrior | MixturePrior:
    if args.classes < 2:
        raise ConfigError("classes", f"must be >= 2, got {args.classes}")
    if args.classes > 2:
        return _mixture(args)
    args.prior = args.prior or "antipodal"
    if args.prior not in PRIOR_KINDS:
        raise ConfigError("prior", f"unknown prior {args.prior!r}; choose from {sorted(PRIOR_KINDS)}")
    return TaskPrior(d=args.d, kind=args.prior, snr=args.snr, cov=_cov(args),
                     minus_scale=args.minus_scale, p_plus=args.p_plus)


def _mixture(args: argparse.Namespace) -> MixturePrior:
    if (args.prior or "independent") != "independent":
        raise ConfigError("prior", f"c > 2 classes use the independent prior, got {args.prior!r}")
    for flag, value, default in (("minus_scale", args.minus_scale, 1.0), ("p_plus", args.p_plus, 0.5)):
        if value != default:
            raise ConfigError(flag, "applies to the binary model only (c = 2)")
    return MixturePrior(d=args.d, classes=args.classes, snr=args.snr, cov=_cov(args))


def _cov(args: argparse.Namespace) -> np.ndarray | None:
    """The covariance from --cov-diag (None: the identity), after checking --d."""
    if args.d < 1:
        raise ConfigError("d", f"must be >= 1, got {args.d}")
    if args.cov_diag is None:
        return None
    if len(args.cov_diag) != args.d:
        raise ConfigError("cov", f"needs {args.d} values, got {len(args.cov_diag)}")
    return np.diag(args.cov_diag)


def _check_samples(args: argparse.Namespace) -> None:
    if args.samples < 2:
        raise ConfigError("samples", f"must be >= 2, got {args.samples}")


def _cmd_run(args: argparse.Namespace) -> int:
    if args.seed < 0:
        raise ConfigError("seed", f"must be >= 0, got {args.seed}")
    if args.classes is not None and args.classes < 2:
        raise ConfigError("classes", f"must be >= 2, got {args.classes}")
    budget = PROFILES[args.profile]
    with Progress(sys.stderr) as progress:
        result = run(args.claims, budget, args.seed, progress=progress, classes=args.classes)
    config = run_config(args.profile, budget.describe(), args.claims, args.seed, args.classes)
    report = write_reports(result, config, args.report_dir)
    if args.junit_xml is not None:
        atomic_write(args.junit_xml, junit_xml(report))
    for c in report["claims"]:
        print(f"{c['id']}: {c['verdict']}  ({c['deciding_outcome']}: {c['statistic']})")
    for c in report["controls"]:
        print(f"control {c['id']}: {c['verdict']} (expected {c['expected']}) "
              f"{'detected' if c['detected'] else 'NOT DETECTED'}")
    _written(args.report_dir)
    return result.exit_status


def _written(directory: Path) -> None:
    print(f"reports written to {directory}: report.html, report.md (figures/), report.json")


def _cmd_report(args: argparse.Namespace) -> int:
    source = args.directory / "report.json"
    if not source.is_file():
        raise ConfigError("directory", f"no report.json in {str(args.directory)!r}")
    try:
        report = rebuild(args.directory)
    except (ValueError, KeyError, TypeError) as err:  # not a report this version wrote
        raise ConfigError("directory",
                          f"{source} is not a report this icl-verify can redraw ({err!r})") from None
    _written(args.directory)
    return report["exit_status"]


def _cmd_minimizer(args: argparse.Namespace) -> int:
    prior = _prior(args)
    _check_samples(args)
    rng = np.random.default_rng(np.random.SeedSequence(args.seed))
    star = trained_weights(prior, args.N, rng, train_size=args.samples)
    classes = {"classes": prior.classes} if isinstance(prior, MixturePrior) else {}
    print(to_json({"W": star.w, "alpha": star.alpha, "error_estimate": star.error_estimate,
                   "method": star.method, "N": args.N, **classes, "prior": prior.describe()}))
    return 0


def _cmd_tv(args: argparse.Namespace) -> int:
    prior = _prior(args)
    _check_samples(args)
    rng = np.random.default_rng(np.random.SeedSequence(args.seed))
    if isinstance(prior, MixturePrior):
        w = trained_weights(prior, args.N, rng, train_size=args.samples).w
        noise = draw_class_noise(rng, args.samples, prior.d, prior.classes)
        tv = class_tv_per_sample(prior, noise, args.M, w)
        est = Estimate(tv.mean(), tv.std(ddof=1) / math.sqrt(tv.size))
    else:
        est = expected_tv(prior, args.N, args.M, rng, size=args.samples)
    print(to_json({"tv": float(est.value), "stderr": float(est.stderr), "N": args.N,
                   "M": args.M, "samples": args.samples, "prior": prior.describe()}))
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        commands = {"run": _cmd_run, "report": _cmd_report, "minimizer": _cmd_minimizer, "tv": _cmd_tv}
        return commands[args.command](args)
    except UsageError as err:
        print(f"icl-verify: error: {err}", file=sys.stderr)
        return 2
    except ConfigError as err:
        flag = _FLAGS.get(err.field, f"--{err.field.replace('_', '-')}")
        reason = str(err).split(": ", 1)[1]
        print(f"icl-verify: error: {flag}: {reason}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
