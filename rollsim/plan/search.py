"""The search: the fastest setting within the constraints, found by monotone bisection.

For each family (``maxUnavailable`` or ``maxSurge`` at one allowed ``minReadySeconds``):

The top's search screens with few replications (``screen_replications``), then confirms
its answer and the answer's neighbour with the full ones (the screened runs are kept:
replication r has the same seed either way); the knee's runs all have the full ones.
Counts are found to within ``resolution`` of themselves (0: exactly). Runs longer than
``4 ×`` the window are cut at that horizon.

1. **Top**: the largest count that keeps the availability floor in every replication
   (``largest_true``, guessed from the floor: ``⌊(1 − floor) × desired⌋`` unavailable
   nodes) and, for surge, fits the capacity budget (checked without simulating). A
   larger budget is never slower, so the top is the family's fastest safe setting.
2. **Fastest**: the tops that meet the window; the best mean duration among them, over the
   replications all of them ran (``fastest_paired``: the same seeds).
3. **Knee**: in each such family, the smallest count that meets the window and is
   within ``tolerance`` of that best (``smallest_true``, guessed from the ideal
   batch count ``⌈desired / ⌈desired / top⌉⌉``): as fast, with fewer nodes at risk.
4. ``choose`` picks among every setting simulated (see ``rollsim.plan.answer``).

When no setting fits, ``diagnose`` finds what relaxing each constraint would give.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rollsim.plan.bisect import largest_true, smallest_true
from rollsim.plan.candidates import UNAVAILABLE, Family, Setting
from rollsim.plan.constraints import Constraints
from rollsim.plan.evaluate import Evaluator
from rollsim.plan.evidence import Evidence, fastest_paired
from rollsim.present.render import count_of
from rollsim.spec.scenario import DaemonSetSpec

__all__ = ["Capacity", "SearchSettings", "Search"]


@dataclass(frozen=True, slots=True)
class SearchSettings:
    """How hard to look: replications per setting (more when a window verdict is unclear)."""

    replications: int = 5
    max_replications: int = 40
    tolerance: float = 0.02
    seed: int = 0
    screen_replications: int = 2
    resolution: float = 0.0

    def __post_init__(self) -> None:
        if not 2 <= self.replications <= self.max_replications:
            raise ValueError(f"replications must be at least 2 and at most max_replications, got "
                             f"{self.replications} and {self.max_replications}")
        if not 1 <= self.screen_replications:
            raise ValueError(f"screen_replications must be positive, got {self.screen_replications}")
        object.__setattr__(self, "screen_replications", min(self.screen_replications, self.replications))
        if not 0 <= self.resolution < 1:
            raise ValueError(f"resolution must be in [0, 1), got {self.resolution!r}")
        if not 0 <= self.tolerance < 1:
            raise ValueError(f"tolerance must be in [0, 1), got {self.tolerance!r}")


@dataclass(frozen=True, slots=True)
class Capacity:
    """What surge pods request at once, against the budget (``NodeResourcesFit`` requests)."""

    cpu_millis: int
    memory_bytes: int
    constraints: Constraints

    def of(self, setting: Setting) -> tuple[int, int, int]:
        """Surge pods, CPU millis and memory bytes that ``setting`` requests at once."""
        s = setting.surge
        return s, s * self.cpu_millis, s * self.memory_bytes

    def over(self, setting: Setting) -> list[str]:
        """What of the budget ``setting`` exceeds (empty if it fits)."""
        c = self.constraints
        pods, cpu, mem = self.of(setting)
        out = []
        if pods and not c.allow_surge:
            out.append("surge is not allowed")
        if c.surge_pods is not None and pods > c.surge_pods:
            out.append(f"{count_of(pods, 'extra pod')} > {c.surge_pods:,}")
        if c.surge_cpu_millis is not None and cpu > c.surge_cpu_millis:
            out.append(f"{cpu}m extra CPU > {c.surge_cpu_millis}m")
        if c.surge_memory_bytes is not None and mem > c.surge_memory_bytes:
            out.append(f"{mem / 2**20:,.0f}Mi extra memory > {c.surge_memory_bytes / 2**20:,.0f}Mi")
        return out

    def largest(self, desired: int) -> int:
        """The most surge pods the budget allows (0 when surge is not allowed)."""
        c = self.constraints
        if not c.allow_surge:
            return 0
        limits = [desired]
        if c.surge_pods is not None:
            limits.append(c.surge_pods)
        if c.surge_cpu_millis is not None and self.cpu_millis:
            limits.append(c.surge_cpu_millis // self.cpu_millis)
        if c.surge_memory_bytes is not None and self.memory_bytes:
            limits.append(c.surge_memory_bytes // self.memory_bytes)
        return max(0, min(limits))


def no_surge_reason(daemonset: DaemonSetSpec, constraints: Constraints) -> str | None:
    """Why surge is out for this DaemonSet, or None (hostPort/hostNetwork: the NodePorts filter)."""
    if not constraints.allow_surge:
        return "surge not allowed (--no-surge)"
    if daemonset.placement.host_network:
        return "hostNetwork: a surge pod would need the old pod's ports on the same node"
    if daemonset.host_ports:
        ports = ", ".join(map(str, daemonset.host_ports))
        return f"hostPort {ports}: a surge pod cannot be scheduled beside the old pod (NodePorts filter)"
    return None


class Search:
    """One plan's search over the families of settings (see the module docstring)."""

    def __init__(self, evaluator: Evaluator, constraints: Constraints, desired: int, capacity: Capacity,
                 families: Iterable[Family], settings: SearchSettings = SearchSettings()) -> None:
        self.ev, self.c, self.desired, self.capacity = evaluator, constraints, desired, capacity
        self.families, self.s = tuple(families), settings
        self.tops: dict[Family, int | None] = {}
        self.knees: dict[Family, int | None] = {}
        self.best_mean = math.nan
        self.best: Evidence | None = None
        self.n = settings.replications  # replications the current search asks for

    # -- evidence ---------------------------------------------------------------------------

    def evidence(self, settings: Iterable[Setting]) -> list[Evidence]:
        """Evaluate with the current replications (screening or full), then, at full
        replications, add replications while a window verdict is unclear.
        """
        out = self.ev.evaluate(settings, self.n)
        if self.n < self.s.replications:
            return [self.ev.evidence(e.setting) for e in out]
        unclear = [e for e in out if e.window_unclear(self.c) and e.replications < self.s.max_replications]
        while unclear:
            n = min(self.s.max_replications, 2 * max(e.replications for e in unclear))
            self.ev.evaluate([e.setting for e in unclear], n)
            out = [self.ev.evidence(e.setting) for e in out]
            # still unclear: doubled again, up to --max-replications (it stopped after one doubling)
            unclear = [e for e in out if e.window_unclear(self.c) and e.replications < self.s.max_replications]
        return out

    def one(self, setting: Setting) -> Evidence:
        """The evidence for one setting."""
        return self.evidence([setting])[0]

    def screened(self, search: Callable[..., int | None], guess: int) -> int | None:
        """Run a search with few replications, then confirm its answer (and neighbour) at full ones.

        The confirmation re-runs the same search from the screened answer as its guess: when
        the full replications agree, that costs one round; when not, it gallops from there.
        """
        self.n = self.s.screen_replications
        try:
            first = search(guess, gallop=False, resolution=self.s.resolution)
        finally:
            self.n = self.s.replications
        return search(first if first is not None else guess, gallop=True, resolution=self.s.resolution)

    def _probe(self, family: Family):
        return lambda counts: self.evidence([family.at(c) for c in counts])

    def upper(self, family: Family) -> int:
        """The largest count worth searching for ``family`` (desired nodes, or what surge capacity allows)."""
        return self.desired if family.kind == UNAVAILABLE else min(self.desired, self.capacity.largest(self.desired))

    # -- the phases --------------------------------------------------------------------------

    def top(self, family: Family) -> int | None:
        """The largest count of ``family`` that keeps the availability floor, or None."""
        hi = self.upper(family)
        if hi < 1:
            return None
        guess = max(1, math.floor((1 - self.c.min_available_fraction) * self.desired + 1e-9)) \
            if family.kind == UNAVAILABLE else hi
        safe = lambda n: self.one(family.at(n)).meets_floor(self.c)  # noqa: E731
        return self.screened(lambda g, **kw: largest_true(safe, 1, hi, g, self._probe(family), **kw), guess)

    def knee(self, family: Family, top: int, best: Evidence) -> int | None:
        """The smallest count as fast as ``best`` (paired over common replications) within the window."""
        guess = math.ceil(self.desired / math.ceil(self.desired / top))

        def fast_enough(n: int) -> bool:
            e = self.one(family.at(n))
            return e.as_fast_as(best, self.s.tolerance) and e.meets_window(self.c)

        # Not screened: "as fast as the best, within 2%" is decided on small differences, and a
        # screened answer on a flat stretch of the curve can land far from the full one.
        return smallest_true(fast_enough, 1, top, guess, self._probe(family), resolution=self.s.resolution)

    def run(self) -> None:
        """Phases 1 to 3; afterwards ``self.ev`` holds every setting simulated."""
        for family in self.families:
            self.tops[family] = self.top(family)
        tops = [(f, self.one(f.at(t))) for f, t in self.tops.items() if t is not None]
        fitting = [(f, e) for f, e in tops if e.meets_window(self.c)]
        if not fitting:
            return
        self.best = fastest_paired([e for _, e in fitting])
        self.best_mean = self.best.mean
        for family, e in fitting:
            if e.as_fast_as(self.best, self.s.tolerance):
                self.knees[family] = self.knee(family, e.setting.count, self.best)
