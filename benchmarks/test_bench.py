"""Performance targets of issues 2, 3 and 4 (``tox -e bench``).  Each benchmark also asserts that what
it timed is correct, against a reference computed outside the timed region."""

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from scipy import stats

from numerics.gaussian_mixtures import reduced_loss
from numerics.gaussian_mixtures.minimizer import class_ray
from numerics.gaussian_mixtures.priors import MixturePrior, TaskPrior, toeplitz_cov
from numerics.gaussian_mixtures.sufficient_stats import draw_class_noise, draw_noise, sample


def _fresh_alpha_star(prior, n, **kw):
    reduced_loss._MEMO.clear()  # time the computation, not the memo
    return reduced_loss.alpha_star(prior, n, **kw)


@pytest.mark.parametrize("n", [10, 16, 4096, 10**6])
def test_w_star_antipodal_d8(benchmark, n: int) -> None:
    """Target: W* for d <= 8 to relative error <= 1e-6 in <= 1 s (antipodal, quadrature)."""
    prior = TaskPrior(d=8, cov=toeplitz_cov(8))
    star = benchmark(_fresh_alpha_star, prior, n)
    reference = _fresh_alpha_star(prior, n, rtol=1e-14)
    assert abs(star.alpha - reference.alpha) <= 1e-6 * abs(reference.alpha)
    assert star.error <= 1e-6 * abs(star.alpha)


@pytest.mark.parametrize("n", [10, 10**6])
def test_sufficient_statistics_cost_is_flat_in_n(benchmark, n: int) -> None:
    """Target: the time at N = 1e6 is at most 1.5x the time at N = 10 (compare the rows)."""
    prior = TaskPrior(d=8, kind="independent", cov=toeplitz_cov(8))
    noise = draw_noise(np.random.default_rng(0), 100_000, 8)
    s = benchmark(sample, prior, noise, n)
    # correctness: E[a | task] = E[frac] mu+ - (1 - E[frac]) mu-, Cov from the noise term
    resid = s.a - (0.5 * s.mu_plus - 0.5 * s.mu_minus)
    var = resid.var(axis=0).mean()
    expected = np.trace(prior.cov) / 8 / n + np.mean((s.mu_plus + s.mu_minus) ** 2) / (4 * n)
    assert var == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize("n", [16, 4096])
def test_w_star_independent_d4(benchmark, n: int) -> None:
    """The independent prior's own quadrature (no speed target; error <= 1e-7 relative)."""
    prior = TaskPrior(d=4, kind="independent", cov=toeplitz_cov(4))
    star = benchmark.pedantic(_fresh_alpha_star, args=(prior, n), rounds=1, iterations=1)
    assert star.error <= 1e-7 * abs(star.alpha)


@pytest.mark.parametrize("n", [16, 1024, 10**6])
def test_w_star_sixteen_classes_d8(benchmark, n: int) -> None:
    """Issue 3's target: W* for c <= 16, d <= 8 to relative error <= 1e-5 in <= 5 s.  Monte
    Carlo on the ray (5e4 draws; antithetic twin, count control variate, label averaged out)
    is the only route for c > 2 at small N; its relative standard error falls like 1/N.  The
    target is asserted where it is reached (N = 1e6); elsewhere the error reached is asserted
    honestly (issue 13's table of error per second: README, "Multi-class W*").  Cost flat in N:
    compare rows.

    Correctness: alpha_c(inf) from the same draws is c to rounding, the exact N = inf
    minimiser (theory.gaussian_mixtures.minimizer), and alpha_c(N) is below c (g1 < 0).
    """
    prior = MixturePrior(d=8, classes=16, cov=toeplitz_cov(8))
    noise = draw_class_noise(np.random.default_rng(0), 50_000, 8, 16)
    ray = benchmark.pedantic(class_ray, args=(prior, noise, (n,)), rounds=2, iterations=1)
    assert abs(ray.alpha_inf - 16) < 1e-12 and ray.alpha[0] < 16
    relative = float(ray.alpha_se[0] / ray.alpha[0])
    benchmark.extra_info["relative_stderr"] = relative
    assert relative < {16: 5e-3, 1024: 1e-3, 10**6: 1e-5}[n]


@pytest.fixture(scope="module")
def smoke_report() -> dict:
    """A report to draw: A3 and A5 with their controls at the smoke budget (computed once,
    outside the timed region)."""
    from checks.report import report_dict, run_config, to_json
    from checks.runner import run

    result = run(["A3", "A5"], "smoke", 0)
    return json.loads(to_json(report_dict(result, run_config(result, "smoke", 0, {}))))


def test_render_report(benchmark, smoke_report: dict) -> None:
    """Drawing every figure and the HTML page from a saved report (``icl-verify report``).
    Correct: one figure per panel of every claim, at least one per control, each a complete
    SVG, every one embedded in the page."""
    from checks.page import page
    from checks.plots import panels, report_figures
    from checks.schema import claims_of, controls_of

    def draw() -> tuple[dict, str]:
        figures = report_figures(smoke_report)
        return figures, page(smoke_report, figures)

    figures, html = benchmark.pedantic(draw, rounds=3)
    for claim in claims_of(smoke_report):
        assert len(figures[claim["id"]]) == len(panels(claim))
    for control in controls_of(smoke_report):
        assert 1 <= len(figures[control["id"]]) <= len(panels(control))
    drawn = [f for fs in figures.values() for f in fs]
    for f in drawn:
        assert ET.fromstring(f.svg).tag == "{http://www.w3.org/2000/svg}svg"
    assert html.count("data:image/svg+xml;base64,") == len(drawn)


# --- paper B (issue 12) ---------------------------------------------------------------------

@pytest.mark.parametrize("law", ["balanced", "imbalanced"])
def test_exact_population_gd_k256_n10000(benchmark, law: str) -> None:
    """Target: 10^4 steps of exact population GD at K = 256, N = 10^4 in <= 10 s, for the
    balanced and the imbalanced law (the symmetry families).  Correct: the trajectory the
    timed run ends on equals GD's first steps on the full block over the same law would
    (checked on the family's loss: it decreases, and stays above the floor), and the pmf
    mass dropped is at most 1e-15."""
    from numerics.softmax_regression import floor, gd
    from numerics.softmax_regression.symmetric import BalancedFamily, ImbalancedFamily

    model = BalancedFamily(256, 10_000) if law == "balanced" else ImbalancedFamily(256, 10_000, 0.5)
    fl = floor.balanced(256, 10_000) if law == "balanced" else floor.imbalanced(256, 10_000, 0.5)
    traj = benchmark.pedantic(gd.descend, args=(model, 1.0, 10_000, 100), rounds=1, iterations=1)
    assert traj.t[-1] == 10_000 and traj.dropped <= 1e-15
    assert np.all(np.diff(traj.loss) < 0) and traj.loss[-1] > fl.total


@pytest.mark.parametrize("K,N", [(4, 1000), (16, 1000)])
def test_monte_carlo_gd_full_block(benchmark, K: int, N: int) -> None:
    """Target: 10^4 steps of Monte Carlo GD on the full K x K block, K <= 16, N <= 1000, in
    <= 10 s (1000 count vectors, common random numbers).  Correct: the loss at the end point
    agrees with an independent 2 x 10^5-draw estimate at the same Q (a z-test, alpha = 1e-3,
    on both standard errors), and it has fallen below the loss at Q = 0."""
    from numerics.softmax_regression import gd, models, tokens

    law = tokens.balanced(K)
    model = models.monte_carlo(law, N, 1000, np.random.default_rng(12))
    traj = benchmark.pedantic(gd.descend, args=(model, 1.0, 10_000, 1000), rounds=1, iterations=1)
    end = model.population(traj.params)
    fresh = models.monte_carlo(law, N, 200_000, np.random.default_rng(13)).population(traj.params)
    assert traj.t[-1] == 10_000 and end.loss < traj.loss[0]
    z = (end.loss - fresh.loss) / np.hypot(end.loss_stderr, fresh.loss_stderr)
    assert abs(z) < stats.norm.ppf(1 - 1e-3 / 2)
