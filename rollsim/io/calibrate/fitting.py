"""Fitting a phase: parametric families fitted to the values as measured, tested, one chosen.

Lognormal and gamma are fitted by maximum likelihood of the values *as measured* (see
``measurement``), started from the log-moments and the moments, which every value moves,
however far out; exponential by its mean, which rounding leaves intact. A family is
accepted when the KS test does not reject it and its tail allows the slowest values
(``tails``: a KS test cannot see a 2% tail of stragglers); of those, the smallest KS
statistic is chosen, or, if none is accepted, the empirical distribution, which keeps
every value measured. A phase whose median is below the
timestamp resolution (a pod with no readiness probe is Ready the second it starts) cannot
show its shape at 1 s: it becomes a constant at its mean, which the rounding leaves
unbiased, rather than the simulator's default (about 20 s for Ready).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

from rollsim.io.calibrate.measurement import EXACT, GRID, OFFSET, RESOLUTION_S, infer_kinds, ks_test, log_likelihood
from rollsim.io.calibrate.tails import TAIL_Q, TailCheck, tail_check
from rollsim.spec.distributions import (
    Constant,
    Distribution,
    DistributionError,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
)
from rollsim.spec.distributions.families import Z95

__all__ = ["ALPHA", "MIN_VALUES", "FamilyFit", "PhaseFit", "fit_phase", "significant"]

ALPHA = 0.01  # below this KS p-value a family is rejected
MIN_VALUES = 10  # fewer values than this get no parametric fit
_SIG = 4  # significant digits of fitted parameters


@dataclass(frozen=True)
class FamilyFit:
    """One parametric family fitted to a phase: the distribution (None if it cannot fit), its KS test
    and its tail check (``note`` says why it could not fit, or why its tail was refused).
    """

    family: str
    distribution: Distribution | None
    ks_statistic: float = math.nan
    p_value: float = math.nan
    note: str = ""
    tail: TailCheck | None = None


@dataclass(frozen=True)
class PhaseFit:
    """A fitted phase: sample statistics, the chosen distribution and every family tried
    (``tail_note``: why the tail refused the families, if it did).
    """

    name: str
    count: int
    mean: float
    median: float
    p95: float
    p99: float
    largest: float
    resolution: float
    chosen: Distribution | None
    ks_statistic: float
    p_value: float
    empirical: Empirical | None
    families: tuple[FamilyFit, ...] = ()
    note: str = ""
    tail_note: str = ""

    @property
    def spec(self) -> str | None:
        """The chosen distribution as a spec string, or None if the phase is not fitted."""
        return None if self.chosen is None else str(self.chosen)


def significant(x: float) -> float:
    """``x`` rounded to the significant digits a fitted parameter is given with."""
    return float(f"{x:.{_SIG}g}")


def _spread(x: np.ndarray, kinds: Sequence[str], r: float) -> np.ndarray:
    """The values with the copies of each grid value spread evenly over its ±r/2 cell (the ogive)."""
    out = x.copy()
    grid = np.array([k == GRID for k in kinds])
    for value in np.unique(x[grid]):
        at = np.flatnonzero(grid & (x == value))
        out[at] = value - r / 2 + r * (np.arange(len(at)) + 0.5) / len(at)
    return out


def _mle(start: np.ndarray, build: Callable[[np.ndarray], Any], x: np.ndarray, kinds: np.ndarray, r: float
         ) -> np.ndarray:
    """Parameters maximising the likelihood as measured, from ``start`` (kept if it cannot improve).

    A likelihood that cannot be evaluated at the start is an error, never a silent "fit"
    at the start: that would ignore exactly the values that made it fail.
    """
    def cost(theta: np.ndarray) -> float:
        return -log_likelihood(build(theta), x, kinds, r) if np.all(np.abs(theta) < 50) else math.inf

    if not math.isfinite(cost(start)):
        raise DistributionError("the likelihood cannot be evaluated at the start of the fit")
    found = optimize.minimize(cost, start, method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-7})
    return found.x if math.isfinite(found.fun) and found.fun <= cost(start) else start


def _fits(x: np.ndarray, kinds: Sequence[str], r: float, var: float) -> list[tuple[str, Callable[[], Distribution]]]:
    """Each family's constructor: exponential by its mean; lognormal and gamma by maximum
    likelihood of the values as measured, started from the log-moments and the moments
    (quantiles would ignore a tail, and a start that ignores it can end where it began).
    """
    mean, k = float(np.mean(x)), np.asarray(kinds)

    def lognormal() -> Distribution:
        spread = _spread(x, kinds, r)
        if np.median(spread) <= 0:
            raise DistributionError("the median is not positive")
        logs = np.log(np.maximum(spread, max(r, 1e-3) / 2))  # a 0 s reading is under half a step
        start = np.array([float(np.mean(logs)), math.log(max(float(np.std(logs)), 0.01))])
        mu, log_sigma = _mle(start, lambda t: stats.lognorm(s=math.exp(t[1]), scale=math.exp(t[0])), x, k, r)
        return LogNormal(significant(math.exp(mu)), significant(math.exp(mu + Z95 * math.exp(log_sigma))))

    def gamma() -> Distribution:
        shape = mean * mean / var
        start = np.array([math.log(shape), math.log(mean / shape)])
        log_a, log_scale = _mle(start, lambda t: stats.gamma(a=math.exp(t[0]), scale=math.exp(t[1])), x, k, r)
        return Gamma(significant(math.exp(log_a + log_scale)), significant(math.exp(-log_a / 2)))

    return [("lognormal", lognormal), ("gamma", gamma), ("exponential", lambda: Exponential(significant(mean)))]


TAIL_OVER_CONSTANT = 10  # a value this many times the mean (or the resolution) past a sub-resolution median: a tail


def fit_phase(values: Sequence[float], resolution: float = RESOLUTION_S, *, name: str = "phase",
              kinds: Sequence[str] | None = None) -> PhaseFit:
    """Fit ``values`` (seconds) measured at ``resolution`` (0: exact; see ``measurement``).

    ``kinds`` says how each value was measured (``pod_phases`` knows; inferred if None).
    Lognormal and gamma are fitted by maximum likelihood as measured, exponential by the
    mean; of the families the KS test does not reject at ``ALPHA`` and whose tail allows
    the slowest values (``tails.tail_check``), the smallest KS statistic is chosen, or the
    empirical distribution (every value kept) if there is none. Fewer than ``MIN_VALUES`` values
    give no fit; a median below the resolution gives a constant at the mean, unless the slowest
    value is ``TAIL_OVER_CONSTANT`` times the mean (or the resolution) or more: then the values themselves.
    """
    x = np.asarray(values, dtype=float).reshape(-1)
    n = len(x)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: values must be finite numbers")
    kinds = list(kinds) if kinds is not None else infer_kinds(x, resolution)
    if len(kinds) != n or not set(kinds) <= {EXACT, GRID, OFFSET}:
        raise ValueError(f"{name}: kinds must give exact, grid or offset for each of the {n} values")
    r = resolution if any(k != EXACT for k in kinds) else 0.0
    if n == 0:
        return PhaseFit(name, 0, math.nan, math.nan, math.nan, math.nan, math.nan, r, None, math.nan, math.nan,
                        None, (), "no values")
    empirical = Empirical(tuple(float(v) for v in np.maximum(np.round(x, 3), 0.0)))
    mean, median = float(np.mean(x)), float(np.median(x))
    p95, p99 = (float(q) for q in np.quantile(x, [0.95, 0.99]))

    def result(chosen: Distribution | None, d: float, p: float, families: tuple = (), note: str = "",
               tail_note: str = "") -> PhaseFit:
        return PhaseFit(name, n, mean, median, p95, p99, float(np.max(x)), r, chosen, d, p, empirical, families,
                        note, tail_note)

    if n < MIN_VALUES:
        how_many = "1 value" if n == 1 else f"{n} values"
        return result(None, math.nan, math.nan, note=f"only {how_many}: not fitted, the default is kept")
    if r > 0 and median < r and float(np.max(x)) > TAIL_OVER_CONSTANT * max(r, mean):
        # a few slow pods past the resolution are a tail a constant would spread over every pod (audit 34:
        # six pods scheduled after 601 s made every pod's schedule constant(12.59)): every value kept
        return result(empirical, math.nan, math.nan,
                      note=f"median below the {r:g} s timestamp resolution, but the slowest values (up to "
                           f"{significant(float(np.max(x))):g} s) are a tail a constant would drop: the values "
                           "themselves (empirical)")
    if r > 0 and median < r:
        return result(Constant(significant(max(mean, 0.0))), math.nan, math.nan,
                      note=f"median below the {r:g} s timestamp resolution: no shape can be seen, so "
                           f"constant({significant(max(mean, 0.0)):g}), the mean, which whole-second timestamps "
                           "leave unbiased")
    if r == 0 and np.all(x == x[0]):
        return result(Constant(significant(max(float(x[0]), 0.0))), 0.0, 1.0, note="all values equal")
    var = float(np.var(x, ddof=1)) - sum(k != EXACT for k in kinds) / n * r * r / 6
    families = []
    for family, make in _fits(x, kinds, r, var):
        if not (math.isfinite(mean) and math.isfinite(var) and mean > 0 and (var > 0 or family == "exponential")):
            families.append(FamilyFit(family, None, note="mean or spread (after rounding) not positive"))
            continue
        try:
            dist = make()
        except (DistributionError, ValueError, OverflowError) as exc:
            families.append(FamilyFit(family, None, note=str(exc)))
            continue
        d, p = ks_test(x, dist, r, kinds)
        tail = tail_check(x, dist, r)
        families.append(FamilyFit(family, dist, d, p, _tail_words(family, n, tail) if tail.refused else "", tail))
    fitted = [f for f in families if f.distribution is not None and math.isfinite(f.ks_statistic)]
    if not fitted:
        return result(empirical, math.nan, math.nan, tuple(families), "no family could be fitted: empirical")
    best = min(fitted, key=lambda f: f.ks_statistic)
    accepted = [f for f in fitted if f.p_value >= ALPHA and not (f.tail and f.tail.refused)]
    if not accepted:
        if best.p_value < ALPHA:
            tail_words = f"; {best.note}" if best.tail and best.tail.refused else ""
            return result(empirical, math.nan, math.nan, tuple(families),
                          f"every family rejected (best {best.family}: D={best.ks_statistic:.3f}, "
                          f"p={best.p_value:.2g}{tail_words}): empirical", tail_note=tail_words[2:])
        passed = min((f for f in fitted if f.p_value >= ALPHA), key=lambda f: f.ks_statistic)
        words = f"{passed.note}: kept as empirical"
        return result(empirical, math.nan, math.nan, tuple(families), words, tail_note=words)
    chosen = min(accepted, key=lambda f: f.ks_statistic)
    return result(chosen.distribution, chosen.ks_statistic, chosen.p_value, tuple(families))


def _tail_words(family: str, n: int, tail: TailCheck) -> str:
    """Why a family's tail is refused, in the table's words."""
    if tail.beyond:
        return (f"{tail.beyond} of {n} values beyond the {family}'s p{100 * TAIL_Q:g} ({tail.threshold:,.0f} s; "
                f"up to {tail.largest:,.0f} s)")
    return f"the largest value, {tail.largest:,.0f} s, is beyond what the {family}'s tail allows (p={tail.max_p:.2g})"
