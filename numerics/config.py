"""Validation helpers shared by every configuration object.

Every invalid value raises :class:`ConfigError` whose message is one line that starts with
the name of the offending field, so the CLI can print it as is and exit with status 2.
"""

from __future__ import annotations

import math

import numpy as np


class ConfigError(ValueError):
    """An invalid configuration value; ``str(err)`` is ``"<field>: <reason>"``."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotComputable(ConfigError):
    """A legal setting that this suite cannot compute to its stated accuracy (for example a
    signal-to-noise beyond the reduced quadrature's reach); ``field`` names the setting that
    puts it out of reach."""


#: prompt lengths are carried as floats: integers up to 2^53 are exact
MAX_PROMPT_LENGTH = 2**53
#: the largest norm of a class mean in whitened units (R, and kappa R for mu_minus).  Margins
#: scale like R^2; up to here the reduced quadrature is validated (alpha(64) against its
#: 0.38 / R^4 approach to 2 at every decade, tests/test_reduced_loss.py), while beyond ~1e15
#: the products in its nodes leave double precision
MAX_MEAN_NORM = 1e8


def positive_int(field: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(field, f"must be an integer, got {value!r}")
    if value < minimum:
        raise ConfigError(field, f"must be >= {minimum}, got {value}")
    return int(value)


def finite_float(field: str, value: object, *, low: float = -math.inf,
                 high: float = math.inf, open_low: bool = False, open_high: bool = False) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(field, f"must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ConfigError(field, f"must be finite, got {value!r}")
    if x < low or (open_low and x == low) or x > high or (open_high and x == high):
        lo = "(" if open_low else "["
        hi = ")" if open_high else "]"
        raise ConfigError(field, f"must lie in {lo}{low}, {high}{hi}, got {x}")
    return x


def parse_prompt_length(field: str, value: object) -> float:
    """A prompt length: an integer in [1, 2^53], or ``inf`` (also the string 'inf') for the limit."""
    if isinstance(value, str):
        if value.strip().lower() in {"inf", "infinity"}:
            return math.inf
        if not value.isascii():  # int() reads other scripts' digits too: "٨" would be 8
            raise ConfigError(field, f"must be a positive integer in ASCII digits or 'inf', got {value!r}")
        try:
            value = int(value)
        except ValueError:
            raise ConfigError(field, f"must be a positive integer or 'inf', got {value!r}") from None
    if isinstance(value, float) and value == math.inf:
        return math.inf
    n = positive_int(field, value)
    if n > MAX_PROMPT_LENGTH:
        raise ConfigError(field, f"must be <= 2^53 = {MAX_PROMPT_LENGTH} or inf, got {n}")
    return float(n)


#: the largest condition number of a covariance.  W* = alpha Lambda^-1 and the whitening by
#: Lambda^(-1/2) carry a relative error of about cond x 1e-16 from the inverse and the square
#: root, so 1e8 keeps every answer to 1e-8 (tests/test_cli.py checks W* Lambda = alpha I there)
MAX_CONDITION = 1e8
#: where a covariance's eigenvalues must lie, so that products such as a^T W x (each factor
#: scaling like a power of Lambda) stay far from the ends of double precision
EIGENVALUE_RANGE = (1e-100, 1e100)


def spd_matrix(field: str, value: object, d: int) -> np.ndarray:
    """A covariance: symmetric (relative to its largest entry), positive definite, judged by
    its condition number (so a scaled identity of any scale in :data:`EIGENVALUE_RANGE` is
    accepted), read-only."""
    try:
        m = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(field, "must be a numeric matrix") from None
    if m.shape != (d, d):
        raise ConfigError(field, f"must have shape ({d}, {d}), got {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ConfigError(field, "contains NaN or infinite entries")
    if not np.allclose(m, m.T, rtol=1e-12, atol=1e-12 * np.abs(m).max()):
        raise ConfigError(field, "must be symmetric")
    eig = np.linalg.eigvalsh(m)
    if eig[0] <= 0:
        raise ConfigError(field, f"must be positive definite (smallest eigenvalue {eig[0]:.3g})")
    if eig[-1] / eig[0] > MAX_CONDITION:
        raise ConfigError(field, f"condition number {eig[-1] / eig[0]:.3g} (eigenvalues {eig[0]:.3g} .. "
                                 f"{eig[-1]:.3g}) exceeds {MAX_CONDITION:g}: W* = alpha Lambda^-1 would "
                                 "lose more than 8 digits")
    lo, hi = EIGENVALUE_RANGE
    if eig[0] < lo or eig[-1] > hi:
        raise ConfigError(field, f"eigenvalues must lie in [{lo:g}, {hi:g}], "
                                 f"got {eig[0]:.3g} .. {eig[-1]:.3g}")
    m.setflags(write=False)
    return m
