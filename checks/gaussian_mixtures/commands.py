"""Paper A's own commands: ``icl-verify minimizer`` (W*(N)), ``icl-verify tv`` (E[TV]) and
``icl-verify constants`` (g1, C_N, C_M) for one setting of the Gaussian-mixture model."""

from __future__ import annotations

import argparse
import math
import textwrap
from collections.abc import Callable

import numpy as np

from checks.arguments import (
    debug_option,
    integer,
    memory_option,
    number,
    numbers,
    prompt_length,
    seed,
)
from checks.exit_status import summary
from checks.report import to_json
from checks.terminal import plus_minus
from numerics import memory
from numerics.config import MAX_PROMPT_LENGTH, ConfigError, NotComputable
from numerics.gaussian_mixtures.class_constants import block_draws, chunk_draws, class_constants
from numerics.gaussian_mixtures.constants import constants
from numerics.gaussian_mixtures.estimators import MIN_SAMPLES
from numerics.gaussian_mixtures.minimizer import min_full_matrix_draws, require_full_matrix_draws
from numerics.gaussian_mixtures.priors import PRIOR_KINDS, MixturePrior, TaskPrior
from numerics.gaussian_mixtures.tv import expected_tv, trained_weights


def _setting_options(q: argparse.ArgumentParser) -> None:
    q.add_argument("--d", type=integer, required=True,
                   help="input dimension: an integer >= 1 (required)")
    q.add_argument("--snr", type=number, default=1.0, metavar="R",
                   help="signal-to-noise scale R of the class means: a number > 0; "
                        "default %(default)s")
    q.add_argument("--classes", type=integer, default=2, metavar="C",
                   help="number of classes: an integer >= 2; default 2, the binary model")
    q.add_argument("--prior", default=None, choices=sorted(PRIOR_KINDS),
                   help="task prior: antipodal (default for c = 2), independent (default and "
                        "only choice for c > 2) or aligned (one fixed task; W* by Monte Carlo)")
    q.add_argument("--cov-diag", type=numbers, default=None, metavar="V1,...,VD",
                   help="diagonal of the covariance Lambda: d numbers > 0 whose ratio "
                        "largest/smallest is at most 1e8; default: the identity")
    q.add_argument("--minus-scale", type=number, default=1.0, metavar="KAPPA",
                   help="norm of mu_minus relative to mu_plus (binary only): a number > 0; "
                        "default %(default)s, the paper's equal norms")
    q.add_argument("--p-plus", type=number, default=0.5, metavar="P",
                   help="P(y = +1) (binary only): a number in (0, 1); default %(default)s")
    q.add_argument("--seed", type=seed, default=0,
                   help="root of the random stream: an integer >= 0; default %(default)s")
    q.add_argument("--samples", type=integer, default=200_000, metavar="B",
                   help=f"Monte Carlo draws (c classes, the aligned prior, and E[TV]): an "
                        f"integer >= {MIN_SAMPLES} (the aligned prior: >= 10^4 (d/3)^4, d <= 10), "
                        "as many as --max-memory allows; default %(default)s")
    q.add_argument("--json", action="store_true",
                   help="print JSON instead of the short human-readable answer")
    memory_option(q)
    debug_option(q)


def add_commands(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    """``minimizer`` and ``tv`` on the CLI's subparsers; their handlers by name."""
    lengths = f"a positive integer <= 2^53 ({MAX_PROMPT_LENGTH}) or inf"
    m = sub.add_parser("minimizer", help="W*(N), the minimiser of the expected loss, for one setting",
                       epilog=f"exit status: {summary(single_answer=True)}")
    m.add_argument("--N", type=prompt_length("--N"), required=True,
                   help=f"training prompt length: {lengths} (required)")
    _setting_options(m)
    t = sub.add_parser("tv", help="E[TV] between the Bayes and the model's label laws, for one setting",
                       epilog=f"exit status: {summary(single_answer=True)}")
    t.add_argument("--N", type=prompt_length("--N"), required=True,
                   help=f"training prompt length: {lengths} (required)")
    t.add_argument("--M", type=prompt_length("--M"), required=True,
                   help=f"test prompt length: {lengths} (required)")
    _setting_options(t)
    k = sub.add_parser("constants", help="g1, C_N = lim N E[TV] and C_M = lim sqrt(M) E[TV] for one "
                                         "setting: binary by quadrature, c classes by Monte Carlo "
                                         "(--samples draws) at N = inf",
                       epilog=f"exit status: {summary(single_answer=True)}")
    _setting_options(k)
    return {"minimizer": _cmd_minimizer, "tv": _cmd_tv, "constants": _cmd_constants}


def _prior(args: argparse.Namespace) -> TaskPrior | MixturePrior:
    """The setting's prior, built only once the options are checked and the memory the command
    will need (:func:`_check_resources`) is found to fit: a c-class prior's own vectors are
    O(c), its covariances O(d^2)."""
    if args.d < 1:
        raise ConfigError("d", f"must be >= 1, got {args.d}")
    if args.classes < 2:
        raise ConfigError("classes", f"must be >= 2, got {args.classes}")
    if args.classes > 2:
        _check_mixture_options(args)
    _check_resources(args)
    cov = None if args.cov_diag is None else _cov(args)
    if args.classes > 2:
        return MixturePrior(d=args.d, classes=args.classes, snr=args.snr, cov=cov)
    return TaskPrior(d=args.d, kind=args.prior or "antipodal", snr=args.snr, cov=cov,
                     minus_scale=args.minus_scale, p_plus=args.p_plus)


def _check_mixture_options(args: argparse.Namespace) -> None:
    if (args.prior or "independent") != "independent":
        raise ConfigError("prior", f"c > 2 classes use the independent prior, got {args.prior!r}")
    for flag, value, default in (("minus_scale", args.minus_scale, 1.0), ("p_plus", args.p_plus, 0.5)):
        if value != default:
            raise ConfigError(flag, "applies to the binary model only (c = 2)")


def _cov(args: argparse.Namespace) -> np.ndarray:
    """The covariance diag(--cov-diag)."""
    if len(args.cov_diag) != args.d:
        raise ConfigError("cov", f"needs {args.d} values, got {len(args.cov_diag)}")
    return np.diag(args.cov_diag)


def _require_min_samples(args: argparse.Namespace) -> None:
    if args.samples < MIN_SAMPLES:
        raise ConfigError("samples", f"must be >= {MIN_SAMPLES} (fewer draws give no trustworthy "
                                     f"error estimate), got {args.samples}")


def _check_resources(args: argparse.Namespace) -> None:
    """--samples and the memory the command will need (:mod:`numerics.memory`), from the options
    alone, before any of it is allocated; what does not fit is refused naming the option to
    change."""
    d, c = args.d, args.classes
    mixture = c > 2
    memory.require_fixed(memory.prior(d), args.max_memory, "d", f"d = {d} (its d x d matrices)")
    fixed = memory.prior(d, c) + (memory.matrix_output(d) if args.command == "minimizer" else 0)
    field, what = ("classes", f"d = {d}, c = {c}") if mixture else ("d", f"d = {d}")
    if args.command == "constants":
        if not mixture:  # quadrature: no draws
            memory.require_fixed(fixed + memory.CONSTANTS, args.max_memory, field, what)
            return
        _require_min_samples(args)
        held = memory.class_constants(0, min(args.samples, chunk_draws(c)), block_draws(c), c, d)
        memory.require_draws(fixed + held, memory.class_constants(1, 0, 0, c, d), args.samples,
                             args.max_memory, field, what, MIN_SAMPLES)
        return
    _require_min_samples(args)
    finite = not math.isinf(args.N)
    full = False  # W* by full-matrix Monte Carlo
    if mixture:
        per_draw = memory.class_ray(1, c, d) if finite or args.command == "tv" else 0
    else:
        invariant = PRIOR_KINDS[args.prior or "antipodal"].invariant
        fixed += memory.QUADRATURE if invariant and finite else 0
        full = not invariant
        if full:  # before the memory, whose advice must name a count that is accepted
            require_full_matrix_draws(d, args.samples)
        # the Newton minimiser's d^4 Hessian work is paid once, its d^2 per draw
        fixed += memory.full_minimizer(0, d) if full else 0
        train = memory.full_minimizer(1, d) - memory.full_minimizer(0, d) if full else 0
        per_draw = max(train, memory.prompts(1, d) if args.command == "tv" else 0)
    memory.require_draws(fixed, per_draw, args.samples, args.max_memory, field, what,
                         min_full_matrix_draws(d) if full else MIN_SAMPLES)


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


def _cmd_constants(args: argparse.Namespace) -> int:
    prior = _prior(args)
    if not prior.satisfies_paper_assumptions:
        raise NotComputable("setting", "the constants are derived for the paper's law (equal norms, "
                                       "balanced classes, an invariant prior): not for this one")
    if isinstance(prior, MixturePrior):
        k = class_constants(prior, np.random.default_rng(np.random.SeedSequence(args.seed)), args.samples)
        method = f"Monte Carlo over {args.samples} tasks and queries at N = inf (standard errors)"
        alpha_inf = prior.classes
    else:
        if not prior.invariant:
            raise NotComputable("setting", "the constants are derived for an invariant prior: not for "
                                           f"the {prior.kind} prior")
        k = constants(prior)
        method, alpha_inf = "quadrature (errors: two resolutions' difference)", 2
    answer = {"g1": k.g1.value, "g1_error": k.g1.error, "tv_n_constant": k.tv_n.value,
              "tv_n_constant_error": k.tv_n.error, "tv_m_constant": k.tv_m.value,
              "tv_m_constant_error": k.tv_m.error, "method": method, "prior": prior.describe()}
    if args.json:
        print(to_json(answer))
        return 0
    print(f"asymptotic constants for the {_describe_setting(prior)} (independent of Lambda; {method}):")
    print(f"  g1   (alpha(N) = {alpha_inf} + g1/N + ...)   = {plus_minus(k.g1.value, k.g1.error)}")
    print(f"  C_N  (N E[TV](N, M = inf) -> C_N)         = {plus_minus(k.tv_n.value, k.tv_n.error)}")
    print(f"  C_M  (sqrt(M) E[TV](N = inf, M) -> C_M)  = {plus_minus(k.tv_m.value, k.tv_m.error)}")
    return 0


