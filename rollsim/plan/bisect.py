"""Monotone searches over integer budgets: a guess and its neighbour, then bisection.

The budget's effect is monotone (a larger maxUnavailable or maxSurge is never slower in
ideal conditions and never safer), so "is this count safe?" is true up to some count
and false after it, and "is this count fast enough?" false up to some count and true
after. Each search evaluates its guess together with the guess's neighbour (one parallel
round: when the guess is right that is all it costs, and it verifies the answer's
neighbour). If the guess is wrong, the search either bisects the side of the guess the
answer is on (a far guess: at most ``⌈log2(hi − lo + 1)⌉`` more rounds) or, with
``gallop``, doubles its step outwards from the guess first (a near guess: about
``2 log2(distance)`` rounds). ``resolution`` stops once the bracket is narrower than
that share of the count (0: the exact count).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["largest_true", "smallest_true"]

Test = Callable[[int], bool]
Probe = Callable[[Iterable[int]], object]  # what it returns is not read


def _clamp(x: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, x))


def largest_true(test: Test, lo: int, hi: int, guess: int, probe: Probe = lambda counts: None, *,
                 gallop: bool = False, resolution: float = 0.0) -> int | None:
    """The largest ``c`` in ``[lo, hi]`` with ``test(c)``, for a test true below a point and false above.

    ``None`` if ``test(lo)`` is false. ``probe`` is told the counts about to be tested
    together, so that they can be evaluated in one parallel round.
    """
    if lo > hi:
        return None
    g = _clamp(guess, lo, hi)
    probe([c for c in (g, g + 1) if c <= hi])
    if test(g):
        if g == hi or not test(g + 1):
            return g
        good, bad = g + 1, hi + 1  # hi + 1 stands for "false", never tested
        step = 2
        while gallop and good + step < bad:
            probe([good + step])
            if not test(good + step):
                bad = good + step
                break
            good, step = good + step, 2 * step
    else:
        good, bad = lo - 1, g  # lo - 1 stands for "true", never tested
        step = 1
        while gallop and bad - step > good:
            probe([bad - step])
            if test(bad - step):
                good = bad - step
                break
            bad, step = bad - step, 2 * step
    while bad - good > 1 and not (good >= lo and bad - good - 1 <= resolution * good):
        mid = (good + bad) // 2
        probe([mid])
        if test(mid):
            good = mid
        else:
            bad = mid
    return good if good >= lo else None


def smallest_true(test: Test, lo: int, hi: int, guess: int, probe: Probe = lambda counts: None, *,
                  gallop: bool = False, resolution: float = 0.0) -> int | None:
    """The smallest ``c`` in ``[lo, hi]`` with ``test(c)``, for a test false below a point and true above."""
    if lo > hi:
        return None
    return _smallest(test, lo, hi, guess, probe, gallop, resolution)


def _smallest(test: Test, lo: int, hi: int, guess: int, probe: Probe, gallop: bool, resolution: float) -> int | None:
    """``smallest_true`` with a resolution relative to the (unmirrored) count."""
    g = _clamp(guess, lo, hi)
    probe([c for c in (g, g - 1) if c >= lo])
    if test(g):
        if g == lo or not test(g - 1):
            return g
        bad, good = lo - 1, g - 1  # lo - 1 stands for "false", never tested
        step = 2
        while gallop and good - step > bad:
            probe([good - step])
            if not test(good - step):
                bad = good - step
                break
            good, step = good - step, 2 * step
    else:
        bad, good = g, hi + 1  # hi + 1 stands for "true", never tested
        step = 1
        while gallop and bad + step < good:
            probe([bad + step])
            if test(bad + step):
                good = bad + step
                break
            bad, step = bad + step, 2 * step
    while good - bad > 1 and not (good <= hi and good - bad - 1 <= resolution * good):
        mid = (good + bad) // 2
        probe([mid])
        if test(mid):
            good = mid
        else:
            bad = mid
    return good if good <= hi else None
