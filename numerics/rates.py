"""The one log-log rate fit behind every rate claim (A3, A5, A3m, A5m), and its twin on the
linear scale, the limit fit behind "tends to 0" (A4): :func:`fit_limit`.

Model (weighted least squares on the log scale):

    log y_i = b + s log x_i + sum_(k=1..K) c_k x_i^(-k q) + e_i,
    Cov(e) = D^-1 C D^-1,  D = diag(y),

where C is the covariance of the estimates y_i (diagonal for independent estimates, full
for common random numbers).  The weights are the inverse variances (diag of Cov(e)) and the
covariance of the coefficients is the sandwich ``B X^T W Cov(e) W X B`` with
``B = (X^T W X)^-1``, which stays valid when common random numbers make Cov(e) nearly
singular (a full GLS inverse would not).  The correction series absorbs the pre-asymptotic terms, so
``s`` estimates the *asymptotic* order.  Each check states q from the theory (A3:
``G = g1/N + g2/N^2 + ...``, so q = 1; A5 in M: q = 1/2).

Uncertainty of s, combined in quadrature:

* statistical: the sandwich standard error, multiplied by the Birge ratio
  ``sqrt(chi2 / dof)`` when the residuals are larger than the stated errors allow -- when
  the chi-square test of the fit rejects at :data:`MISFIT_ALPHA` (model error, or computed
  points whose stated error is only numerical).  The scale is then estimated from the
  residuals, so the interval is Student-t on their degrees of freedom.  ``chi2`` is
  the generalized chi-square of the residuals under their full covariance (eigen-truncated
  pseudo-inverse: common random numbers make it nearly singular), :func:`_wls`;
* truncation: the largest change of s when the last correction term is dropped, when the
  smallest x is dropped, or when the correction exponent is any other the theory allows
  (``plausible_exponents``) -- the size of what the truncated series still leaves.

The confidence interval is two-sided at the requested level: normal, or Student-t on the
residual degrees of freedom when the error was inflated from the residuals.  Coverage in
four regimes is tested in ``tests/test_rate_coverage.py``.  Variances have a floor of
``(1e-12 y)^2`` for floating-point rounding.

The coefficients and their covariance (Birge-inflated, with the truncation error added to the
slope's variance, so that it agrees with the slope's CI) are kept, so the fitted curve and its
pointwise band, :func:`curve`, can be redrawn from a saved report without refitting.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import stats


def percent(confidence: float) -> str:
    """A confidence level as a percentage with the digits that tell it from 100%
    (0.999 -> "99.9%", 0.99998 -> "99.998%")."""
    digits = max(3, math.ceil(-math.log10(1 - confidence)) + 1)
    return f"{100 * confidence:.{digits}g}%"


@dataclass(frozen=True)
class SlopeFit:
    x: np.ndarray
    y: np.ndarray
    stderr: np.ndarray
    slope: float
    slope_stderr: float
    ci: tuple[float, float]
    confidence: float
    correction_exponent: float | None
    correction_terms: int
    truncation_error: float
    birge_ratio: float
    fitted: np.ndarray
    coefficients: np.ndarray
    coefficient_cov: np.ndarray
    quantile: str = "normal"  # "student-t" (on ``dof``) when the error was inflated from the residuals
    dof: int = 0
    log_correction: bool = False  # a term c0 x^-q log x before the power series

    def local_slopes(self) -> np.ndarray:
        """Slopes between consecutive points (NaN for the first)."""
        ls = np.diff(np.log(self.y)) / np.diff(np.log(self.x))
        return np.r_[np.nan, ls]

    def as_dict(self) -> dict:
        return {
            "x": self.x.tolist(), "y": self.y.tolist(), "stderr": self.stderr.tolist(),
            "slope": self.slope, "slope_stderr": self.slope_stderr, "ci": list(self.ci),
            "confidence": self.confidence, "correction_exponent": self.correction_exponent,
            "correction_terms": self.correction_terms, "truncation_error": self.truncation_error,
            "birge_ratio": self.birge_ratio, "local_slopes": self.local_slopes().tolist(),
            "coefficients": self.coefficients.tolist(),
            "coefficient_cov": self.coefficient_cov.tolist(),
            "quantile": self.quantile, "dof": self.dof, "log_correction": self.log_correction,
        }


def design(x: np.ndarray, correction_exponent: float | None, correction_terms: int,
           log_correction: bool = False) -> np.ndarray:
    """Columns ``1, log x, x^-q, ..., x^-Kq`` of the model (K = 0 without a correction);
    ``log_correction`` puts ``x^-q log x`` before the power series (a correction
    ``x^-q log x`` no power series absorbs: paper B's time to eps, ``K^2 + O(K log K)``)."""
    x = np.asarray(x, dtype=float)
    terms = 0 if correction_exponent is None else correction_terms
    cols = [np.ones_like(x), np.log(x)]
    if log_correction and correction_exponent is not None:
        cols.append(x ** -correction_exponent * np.log(x))
    cols += [x ** (-(k + 1) * correction_exponent) for k in range(terms)]
    return np.column_stack(cols)


def curve(fit: dict, x: np.ndarray, confidence: float | None = None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fitted curve at ``x`` and its pointwise two-sided band, from ``SlopeFit.as_dict()``.

    The band is ``exp(log yhat +- z sqrt(diag(X V X^T)))`` with V the coefficient covariance,
    at ``confidence`` (default: the fit's own level), z from the fit's own quantile.
    """
    X = design(x, fit["correction_exponent"], fit["correction_terms"], fit.get("log_correction", False))
    log_y = X @ np.asarray(fit["coefficients"])
    se = np.sqrt(np.einsum("ij,jk,ik->i", X, np.asarray(fit["coefficient_cov"]), X))
    quantile = stats.t(fit["dof"]) if fit["quantile"] == "student-t" else stats.norm
    z = quantile.ppf(0.5 + (fit["confidence"] if confidence is None else confidence) / 2)
    return np.exp(log_y), np.exp(log_y - z * se), np.exp(log_y + z * se)


def _wls(X: np.ndarray, logy: np.ndarray, cov_log: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Coefficients, their sandwich covariance, and the generalized chi-square of the
    residuals with its degrees of freedom.

    The residuals ``r = (I - P) log y`` have covariance ``(I - P) C (I - P)^T`` (P the weighted
    projection), of rank n - k, and under common random numbers nearly singular further:
    the misfit is ``r^T S^+ r`` with the pseudo-inverse over its eigenvalues above
    :data:`_RANK_RTOL` of the largest, and the number kept is the degrees of freedom.  (The
    diagonal-only Birge ratio missed a 1% wiggle on 8 points correlated at 0.99: full
    chi-square 378 on 5 dof, Birge ratio 1.0.)"""
    weight = 1 / np.diag(cov_log)
    xtw = X.T * weight
    bread = np.linalg.inv(xtw @ X)
    beta = bread @ (xtw @ logy)
    resid = logy - X @ beta
    residual_map = np.eye(X.shape[0]) - X @ bread @ xtw
    lam, vec = np.linalg.eigh(residual_map @ cov_log @ residual_map.T)
    keep = lam > _RANK_RTOL * lam[-1]
    proj = vec[:, keep].T @ resid
    chi2 = float(proj**2 @ (1 / lam[keep]))
    return beta, bread @ xtw @ cov_log @ xtw.T @ bread, chi2, int(keep.sum())


#: eigenvalues of the residual covariance below this fraction of the largest are its null space
_RANK_RTOL = 1e-10
#: the level of the misfit test (generalized chi-square of the residuals) that inflates the
#: error and switches the interval to Student-t
MISFIT_ALPHA = 0.05


@dataclass(frozen=True)
class _Coefficient:
    """One coefficient of a weighted fit with its honest interval (shared by both fits)."""

    beta: np.ndarray
    beta_cov: np.ndarray      # Birge-inflated, the coefficient's variance incl. truncation
    fitted: np.ndarray        # the fitted response at x
    terms: int                # correction terms used (0 without a correction exponent)
    value: float
    stderr: float
    ci: tuple[float, float]
    truncation: float
    birge: float
    quantile: str             # "student-t" when the error scale was estimated from the residuals
    dof: int


def _fit_coefficient(x: np.ndarray, response: np.ndarray, cov: np.ndarray, index: int,
                     columns: Callable[[np.ndarray, float | None, int], np.ndarray], *,
                     confidence: float, correction_exponent: float | None, correction_terms: int,
                     plausible_exponents: tuple[float, ...]) -> _Coefficient:
    """Coefficient ``index`` of the weighted fit of ``response`` (covariance ``cov``) on the
    design ``columns(x, q, K)``, with the module's uncertainty: misfit inflation, truncation
    over dropped terms, the dropped smallest x and the plausible exponents, and its quantile."""
    terms = 0 if correction_exponent is None else correction_terms
    X = columns(x, correction_exponent, terms)
    k = X.shape[1]
    if x.size < k + 1:
        raise ValueError(f"x: need at least {k + 1} points for this fit, got {x.size}")
    beta, beta_cov, chi2, dof = _wls(X, response, cov)
    # inflate only for a misfit the chi-square test sees: below it the stated errors stand
    # (inflating by every chance excess, with a Student-t on 5 dof at the checks' 99.99%
    # levels, tripled intervals at chi2 / dof = 1.2, p = 0.3)
    misfit = dof > 0 and chi2 > stats.chi2.ppf(1 - MISFIT_ALPHA, dof)
    birge = math.sqrt(chi2 / dof) if misfit else 1.0
    truncation = 0.0
    if terms:
        truncation = abs(beta[index] - _wls(X[:, :-1], response, cov)[0][index])
        for q in plausible_exponents:
            other = _wls(columns(x, q, terms), response, cov)[0][index]
            truncation = max(truncation, abs(beta[index] - other))
    if x.size >= k + 2:  # drop the smallest x (the fit is exactly determined otherwise)
        keep = np.arange(x.size) != np.argmin(x)
        refit = _wls(X[keep], response[keep], cov[np.ix_(keep, keep)])[0][index]
        truncation = max(truncation, abs(beta[index] - refit))
    se = math.hypot(math.sqrt(beta_cov[index, index]) * birge, truncation)
    inflated = beta_cov * birge**2
    inflated[index, index] = se**2
    # an error inflated from the residuals is itself estimated on ``dof`` degrees of freedom
    student_t = birge > 1
    z = (stats.t(dof) if student_t else stats.norm).ppf(0.5 + confidence / 2)
    value = float(beta[index])
    return _Coefficient(beta=beta, beta_cov=inflated, fitted=X @ beta, terms=terms, value=value, stderr=se,
                        ci=(float(value - z * se), float(value + z * se)),
                        truncation=float(truncation), birge=birge,
                        quantile="student-t" if student_t else "normal", dof=dof)


def fit_loglog(x: np.ndarray, y: np.ndarray, cov: np.ndarray, *, confidence: float,
               correction_exponent: float | None = None, correction_terms: int = 2,
               plausible_exponents: tuple[float, ...] = (), log_correction: bool = False) -> SlopeFit:
    """Fit the rate; ``cov`` is the (n, n) covariance of y or its (n,) standard errors.
    ``plausible_exponents``: other correction exponents the theory allows, whose slopes widen
    the truncation error; ``log_correction``: see :func:`design`."""
    x, y, cov = _validated(x, y, cov)
    if np.any(y <= 0):
        raise ValueError("y: a log-log fit needs positive values")
    columns = partial(design, log_correction=log_correction)
    fit = _fit_coefficient(x, np.log(y), cov / np.outer(y, y), 1, columns, confidence=confidence,
                           correction_exponent=correction_exponent, correction_terms=correction_terms,
                           plausible_exponents=plausible_exponents)
    return SlopeFit(x=x, y=y, stderr=np.sqrt(np.diag(cov)), slope=fit.value,
                    slope_stderr=fit.stderr, ci=fit.ci,
                    confidence=confidence, correction_exponent=correction_exponent,
                    correction_terms=fit.terms, truncation_error=fit.truncation,
                    birge_ratio=fit.birge, fitted=np.exp(fit.fitted),
                    coefficients=fit.beta, coefficient_cov=fit.beta_cov,
                    quantile=fit.quantile, dof=fit.dof, log_correction=log_correction)


def _validated(x: np.ndarray, y: np.ndarray, cov: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrays, the covariance as a matrix, with a floor ``(1e-12 y)^2`` for rounding."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    cov = np.asarray(cov, dtype=float)
    if cov.ndim == 1:
        cov = np.diag(cov**2)
    return x, y, cov + np.diag((1e-12 * np.abs(y)) ** 2)


def limit_design(x: np.ndarray, leading: float, correction_exponent: float | None,
                 correction_terms: int) -> np.ndarray:
    """Columns ``1, x^-p, x^-(p+q), ..., x^-(p+Kq)`` of the limit model
    ``y = a + x^-p (b + sum_k c_k x^-kq)`` (p the leading exponent)."""
    x = np.asarray(x, dtype=float)
    steps = 0 if correction_exponent is None else correction_terms
    return np.column_stack([np.ones_like(x), x ** -leading]
                           + [x ** -(leading + (k + 1) * correction_exponent) for k in range(steps)])


@dataclass(frozen=True)
class LimitFit:
    """The limit ``a = lim y`` of ``y = a + x^-p (b + sum_k c_k x^-kq)``, with its interval."""

    limit: float
    stderr: float
    ci: tuple[float, float]
    confidence: float
    truncation_error: float
    birge_ratio: float
    quantile: str
    dof: int

    def as_dict(self) -> dict:
        return {"limit": self.limit, "stderr": self.stderr, "ci": list(self.ci),
                "confidence": self.confidence, "truncation_error": self.truncation_error,
                "birge_ratio": self.birge_ratio, "quantile": self.quantile, "dof": self.dof}


def fit_limit(x: np.ndarray, y: np.ndarray, cov: np.ndarray, *, confidence: float, leading: float,
              correction_exponent: float, correction_terms: int = 2,
              plausible_exponents: tuple[float, ...] = ()) -> LimitFit:
    """Extrapolate ``y = a + x^-leading (b + sum_k c_k x^-kq)`` to ``a`` on the linear scale
    (``y`` may touch 0), with the same uncertainty as :func:`fit_loglog`: the intercept's
    sandwich error, inflated on a misfit, plus the truncation error (dropped last term,
    dropped smallest x, the plausible exponents), Student-t when inflated."""
    x, y, cov = _validated(x, y, cov)
    fit = _fit_coefficient(x, y, cov, 0, lambda x, q, k: limit_design(x, leading, q, k),
                           confidence=confidence,
                           correction_exponent=correction_exponent, correction_terms=correction_terms,
                           plausible_exponents=plausible_exponents)
    return LimitFit(limit=fit.value, stderr=fit.stderr, ci=fit.ci, confidence=confidence,
                    truncation_error=fit.truncation, birge_ratio=fit.birge,
                    quantile=fit.quantile, dof=fit.dof)
