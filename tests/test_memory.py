"""numerics.memory: each estimate bounds the peak of numpy's allocations (tracemalloc) of the
computation it stands for, without overstating it more than 2.5x (which would refuse inputs
that fit)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

from checks import cli
from numerics import memory
from numerics.config import NotComputable
from numerics.gaussian_mixtures.class_constants import block_draws, chunk_draws, class_constants
from numerics.gaussian_mixtures.constants import constants
from numerics.gaussian_mixtures.minimizer import full_minimizer, population_minimizer
from numerics.gaussian_mixtures.priors import MixturePrior, TaskPrior
from numerics.gaussian_mixtures.reduced_loss import alpha_star
from numerics.gaussian_mixtures.sufficient_stats import draw_noise, sample
from numerics.gaussian_mixtures.tv import expected_tv


def _peak(compute: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        compute()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.mark.parametrize("samples,classes,d", [(5000, 10, 3), (2000, 5, 20), (1000, 100, 3)])
def test_class_ray(samples: int, classes: int, d: int) -> None:
    prior = MixturePrior(d=d, classes=classes)
    ray = _peak(lambda: population_minimizer(prior, 64, _rng(), samples))
    tv = _peak(lambda: expected_tv(prior, 64, 100, _rng(), size=samples))
    estimate = memory.class_ray(samples, classes, d)
    assert max(ray, tv) <= estimate <= 2.5 * max(ray, tv)


@pytest.mark.parametrize("samples,d", [(20000, 3), (5000, 30)])
def test_binary_prompts(samples: int, d: int) -> None:
    prior = TaskPrior(d=d)
    alpha_star(prior, 64)  # the quadrature has its own estimate
    peak = _peak(lambda: expected_tv(prior, 64, 100, _rng(), size=samples))
    assert peak <= memory.prompts(samples, d) <= 2.5 * peak


@pytest.mark.parametrize("samples,d", [(3000, 3), (2000, 12)])
def test_full_minimizer(samples: int, d: int) -> None:
    s = sample(TaskPrior(d=d, kind="aligned"), draw_noise(_rng(), samples, d), 64)
    peak = _peak(lambda: full_minimizer(s))
    assert peak <= memory.full_minimizer(samples, d) <= 2.5 * peak


def test_quadrature_stays_in_its_bound() -> None:
    """The largest case the checks meet: the independent prior (5 axes) at d = 2, N = 16."""
    peak = _peak(lambda: alpha_star(TaskPrior(d=2, kind="independent", snr=1.3), 16, rtol=1e-10))
    assert peak <= memory.QUADRATURE


def test_prior_matrices() -> None:
    peak = _peak(lambda: TaskPrior(d=300).precision)
    assert peak <= memory.prior(300) <= 2.5 * peak


@pytest.mark.parametrize("samples,classes,d", [(20000, 3, 3), (700_000, 3, 3), (5000, 3, 300),
                                               (1000, 2000, 3), (20000, 30, 3)])
def test_class_constants(samples: int, classes: int, d: int) -> None:
    """One chunk (``samples`` below CHUNK_ELEMENTS / c) and two (700000 draws at c = 3)."""
    prior = MixturePrior(d=d, classes=classes)
    peak = _peak(lambda: class_constants(prior, _rng(), samples))
    estimate = memory.class_constants(samples, min(samples, chunk_draws(classes)), block_draws(classes),
                                      classes, d)
    assert peak <= estimate <= 2.5 * peak


def test_binary_constants_stay_in_their_bound() -> None:
    """The quadrature holds one task's exp-sinh by Laplace nodes at a time, whatever R and d
    (refused settings included: they are refused after the quadrature)."""
    peaks = []
    for prior in (TaskPrior(d=3), TaskPrior(d=3, snr=1e8), TaskPrior(d=400, kind="independent", snr=3),
                  TaskPrior(d=2, kind="independent", snr=1e8)):
        constants(prior.with_(snr=1.0))  # the sympy lambdification, once

        def attempt(prior: TaskPrior = prior) -> None:
            try:
                constants(prior)
            except NotComputable:  # refused after its quadrature ran: its peak counts as well
                pass
        peaks.append(_peak(attempt))
    assert len(peaks) == 4 and max(peaks) <= memory.CONSTANTS <= 2.5 * max(peaks)


def test_class_prior_vectors() -> None:
    peak = _peak(lambda: MixturePrior(d=3, classes=10**6))
    assert peak <= memory.prior(3, 10**6) <= 2.5 * peak


@pytest.mark.parametrize("argv,field", [
    (["minimizer", "--d", "3", "--N", "64", "--classes", "100000000"], "--classes"),
    (["tv", "--d", "3", "--N", "64", "--M", "inf", "--classes", "100000000"], "--classes"),
    (["constants", "--d", "3", "--classes", "100000000"], "--classes"),
    (["constants", "--d", "3", "--classes", "3", "--samples", "100000000000"], "--samples"),
])
def test_commands_refuse_before_allocating(argv: list[str], field: str, capsys) -> None:
    """Issue 26: ``minimizer --classes 1e8`` built the c-class prior (3.3 GB of per-class vectors)
    before its memory check.  Every estimate now comes from the options alone: refused in one
    line naming the option, having allocated next to nothing (the peak includes the parser's)."""
    peak = _peak(lambda: cli.main(argv) == 2 or pytest.fail("not refused"))
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and field in err[0] and "Traceback" not in err[0], err
    assert peak <= 16 << 20


PATHS = [
    ["minimizer", "--d", "3", "--N", "64"],  # reduced quadrature
    ["minimizer", "--d", "3", "--N", "inf"],
    ["minimizer", "--d", "3", "--N", "64", "--prior", "aligned", "--samples", "10000"],  # full matrix
    ["minimizer", "--d", "3", "--N", "64", "--classes", "3"],  # the c-class ray
    ["tv", "--d", "3", "--N", "64", "--M", "inf"],
    ["tv", "--d", "3", "--N", "64", "--M", "100", "--classes", "3"],
    ["constants", "--d", "3"],  # binary quadrature
    ["constants", "--d", "3", "--classes", "3"],  # c-class Monte Carlo
]


@pytest.mark.parametrize("limit", ["1e-9", "1e-6"])
@pytest.mark.parametrize("argv", PATHS, ids=[" ".join(a) for a in PATHS])
def test_max_memory_is_honoured_on_every_path(argv: list[str], limit: str, capsys) -> None:
    """1e-9 GiB fits nothing (refused at the prior's d x d matrices); 1e-6 GiB (1 KiB) fits
    those at d = 3 (584 bytes) but not any command's own work, so each path's estimate is what
    refuses it.  Either way before anything is computed: one line naming --max-memory."""
    assert cli.main([*argv, "--max-memory", limit]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--max-memory" in err[0], err
