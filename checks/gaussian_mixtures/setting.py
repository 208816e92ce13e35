"""What paper A's checks run on: the setting (prior, loss, claimed orders) and the budget of
each profile."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from checks.common import geometric
from numerics.gaussian_mixtures.priors import MixturePrior, TaskPrior, toeplitz_cov


@dataclass(frozen=True)
class Setting:
    """One problem instance a claim is checked on, plus the claim's parameters.

    ``n_order`` / ``m_order`` are the claimed exponents of N and M (A3, A4, A5, A3m, A5m),
    ``g_c_order`` that of c in max|G_ij| (A3m) and ``tv_c_orders`` those of c in the N and M
    terms of E[TV] (A5m): the "rate too fast" controls change them.  ``classes`` are
    the c values a multi-class check sweeps (None: only the prior's own c).  ``eta_factor``
    scales the GD step 1/ell (A2); ``loss`` is the per-sample loss (A1's control swaps in a
    non-convex one).
    """

    label: str
    prior: TaskPrior | MixturePrior
    loss: str = "logistic"
    n_order: float = -1.0
    m_order: float = -0.5
    g_c_order: float = 1.0
    tv_c_orders: tuple[float, float] = (2.0, 1.5)
    classes: tuple[int, ...] | None = None
    eta_factor: float = 1.0

    def describe(self) -> dict:
        return {"label": self.label, "prior": self.prior.describe(), "loss": self.loss,
                "n_order": self.n_order, "m_order": self.m_order, "g_c_order": self.g_c_order,
                "tv_c_orders": self.tv_c_orders,
                "classes": self.classes, "eta_factor": self.eta_factor}


def base_prior(kind: str, d: int) -> TaskPrior:
    """The checks' standard instance: R = 1, Lambda_ij = 0.5^|i-j| (SPD, not diagonal)."""
    return TaskPrior(d=d, kind=kind, snr=1.0, cov=toeplitz_cov(d, 0.5))


def base_mixture(d: int, classes: int) -> MixturePrior:
    """The c-class checks' standard instance: R = 1, Lambda_ij = 0.5^|i-j|."""
    return MixturePrior(d=d, classes=classes, snr=1.0, cov=toeplitz_cov(d, 0.5))


#: why a slope's interval may end up to ``Budget.slope_resolution`` above its claimed exponent
SLOPE_TOLERANCE_REASON = ("0.1: the last local slopes of the true claims' fits still differ from their "
                          "claimed exponents by up to 0.017 (A4; quick, seed 20241015), a systematic "
                          "offset the tolerance holds six times over")


#: the margin of "tends to 0" (A4's limit, A3m's alpha_c(inf) = c) as a fraction of the
#: smallest value the rate fit measured
LIMIT_MARGIN_FRACTION = 0.1
LIMIT_MARGIN_REASON = ("a floor of a tenth of the smallest measured value moves the last local slope "
                       "by a tenth of the rate's exponent (0.05 for M^-1/2, 0.1 for 1/N), within the "
                       "slope tolerance 0.1: floors the margin admits are ones the rate fits could not "
                       "reject either; on synthetic A4-shaped data a floor of 0.3 x the smallest value "
                       "FAILs 995 times in 1000 (tests/test_rate_coverage.py)")


@dataclass(frozen=True)
class Budget:
    """The computational budget of one profile (recorded in every report)."""

    name: str
    confidence: float = 0.999          # two-sided level of each check (Bonferroni inside)
    slope_resolution: float = 0.1      # PASS needs the slope CI to end within this of the claim
    dims: dict = field(default_factory=lambda: {"antipodal": 3, "independent": 2})
    n_grid: tuple[int, ...] = geometric(16, 4096)
    m_grid: tuple[int, ...] = geometric(16, 4096)
    mc_size: int = 100_000             # samples per grid point for E[TV] (A5)
    a4_size: int = 1_600_000           # samples per grid point for the disagreement rate (A4)
    a1_n: int = 32
    a1_radii: tuple[float, ...] = (0.5, 2.0, 8.0)
    a1_search_size: int = 8_000
    a1_eval_size: int = 40_000
    a1_segments: int = 20
    a2_n: int = 32
    a2_size: int = 20_000
    a2_steps: int = 60
    classes: tuple[int, ...] = (2, 3, 4, 6, 8, 12, 16)  # c values of the multi-class claims
    class_dim: int = 3
    # the pre-asymptotic range grows with c (checks.gaussian_mixtures.classes.asymptotic_window):
    # c = 16 fits N >= 1024
    class_n_grid: tuple[int, ...] = geometric(64, 262144)
    class_m_grid: tuple[int, ...] = geometric(16, 65536)  # test prompt lengths of A5m's M-slopes
    # c values of the constants g1(c), C_N(c), C_M(c) and the exponent-of-c fits on them: the
    # local exponents fall until c ~ 256 (|g1|/c: 1.30 at c = 2..3, 1.07 at 32..48, 1.00 +- 0.01
    # from 256), so the fits reach far beyond the N-slopes' c
    constant_classes: tuple[int, ...] = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384,
                                         512, 768, 1024)
    constant_size: int = 100_000    # task-and-query draws per c for the constants
    class_mc_size: int = 100_000
    class_tv_size: int = 100_000    # test samples per c for E[TV] (A5m)

    def describe(self) -> dict:
        return asdict(self)


PROFILES: dict[str, Budget] = {
    "quick": Budget(name="quick"),
    "full": Budget(
        name="full",
        dims={"antipodal": 4, "independent": 3},
        n_grid=geometric(16, 16384),
        m_grid=geometric(16, 16384),
        mc_size=400_000,
        a4_size=6_400_000,
        a1_radii=(0.5, 1.0, 2.0, 4.0, 8.0, 16.0),
        a1_search_size=20_000,
        a1_eval_size=100_000,
        a1_segments=50,
        a2_size=100_000,
        a2_steps=100,
        classes=(2, 3, 4, 6, 8, 12, 16, 24, 32),
        class_n_grid=geometric(64, 1048576),
        class_m_grid=geometric(16, 262144),
        constant_classes=(2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024,
                          1536, 2048),
        constant_size=400_000,
        class_mc_size=400_000,
        class_tv_size=400_000,
    ),
    # plumbing only: verdicts at this budget are not meant to be read
    "smoke": Budget(
        name="smoke",
        n_grid=geometric(16, 256),
        m_grid=geometric(16, 256),
        mc_size=4_000,
        a4_size=4_000,
        a1_radii=(1.0, 4.0),
        a1_search_size=1_000,
        a1_eval_size=4_000,
        a1_segments=4,
        a2_size=2_000,
        a2_steps=10,
        classes=(2, 3, 4, 5),
        class_n_grid=geometric(64, 4096),
        class_m_grid=geometric(16, 4096),
        constant_classes=(2, 4, 8, 16, 32, 64, 128),
        constant_size=2_000,
        class_mc_size=4_000,
        class_tv_size=4_000,
    ),
}
