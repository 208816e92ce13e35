"""numerics.rates: the slope fit recovers known orders, and its interval covers."""

import numpy as np
import pytest
from scipy import stats

from checks.decision import Verdict, at_most
from checks.document import fit_table
from checks.gaussian_mixtures.setting import SLOPE_TOLERANCE_REASON
from numerics.rates import curve, fit_loglog

X = 2.0 ** np.arange(4, 13)


def test_exact_power_law_with_corrections_is_recovered() -> None:
    y = 3 / X * (1 + 5 / X - 20 / X**2)
    fit = fit_loglog(X, y, 1e-14 * y, confidence=0.999, correction_exponent=1.0)
    assert fit.slope == pytest.approx(-1, abs=1e-3)
    assert fit.ci[0] <= -1 <= fit.ci[1]


def test_interval_coverage_under_noise() -> None:
    """Empirical coverage of the 95% interval over 400 noisy replicates (binomial test)."""
    rng = np.random.default_rng(11)
    y0 = 2 / np.sqrt(X)
    se = 0.02 * y0
    hits = 0
    for _ in range(400):
        y = y0 + se * rng.standard_normal(X.size)
        fit = fit_loglog(X, y, se, confidence=0.95, correction_exponent=0.5)
        hits += fit.ci[0] <= -0.5 <= fit.ci[1]
    # coverage must not be below nominal (the truncation term makes it conservative)
    assert stats.binomtest(hits, 400, 0.95, alternative="less").pvalue > 1e-3


def test_floor_is_not_a_rate() -> None:
    y = 0.05 + 1 / X
    fit = fit_loglog(X, y, 1e-4 * y, confidence=0.999, correction_exponent=1.0)
    assert at_most(-1.0, 0.1, SLOPE_TOLERANCE_REASON).decide(*fit.ci) is Verdict.FAIL


def test_the_reports_table_lists_every_point_from_the_saved_fit() -> None:
    y = 1 / X
    fit = fit_loglog(X, y, 1e-3 * y, confidence=0.99)
    table = fit_table({"fit": fit.as_dict(), "x_name": "N", "y_name": "max|G_ij|"})
    rows = [line for line in table if line.startswith("| ")]
    assert len(rows) == X.size + 2  # header, rule, one row per point
    assert rows[0].startswith(r"| N | max\|G\_ij\| |")  # a "|" in a name does not end the cell
    assert [float(r.split("|")[1]) for r in rows[2:]] == pytest.approx(X)


def test_saved_curve_and_band_match_the_fit() -> None:
    """The curve redrawn from ``as_dict()`` (a saved report) is the fit, the slope's variance
    in the saved covariance is the one behind its CI, and the band is normal on the log scale."""
    rng = np.random.default_rng(5)
    y0 = 3 / X * (1 + 5 / X)
    se = 0.01 * y0
    fit = fit_loglog(X, y0 + se * rng.standard_normal(X.size), se, confidence=0.99,
                     correction_exponent=1.0)
    saved = fit.as_dict()
    mid, lo, hi = curve(saved, X)
    np.testing.assert_allclose(mid, fit.fitted, rtol=1e-12)
    assert np.all(lo < mid) and np.all(mid < hi)
    assert saved["coefficient_cov"][1][1] == pytest.approx(fit.slope_stderr**2, rel=1e-12)
    # a band at a lower level is narrower, and it is two-sided normal on the log scale
    _, _, hi50 = curve(saved, X, confidence=0.5)
    ratio = np.log(hi50 / mid) / np.log(hi / mid)
    np.testing.assert_allclose(ratio, stats.norm.ppf(0.75) / stats.norm.ppf(0.995), rtol=1e-12)
