"""The search: the fastest setting within the constraints, found by monotone bisection.

For each family (``maxUnavailable`` or ``maxSurge`` at one allowed ``minReadySeconds``):

The top's search screens with few replications (``screen_replications``), then confirms
its answer and the answer's neighbour with the full ones (the screened runs are kept:
replication r has the same seed either way); the knee's runs all have the full ones.
Counts are found to within ``resolution`` of themselves (0: exactly). Runs longer than
``4 ×`` the window are cut at that horizon. Replications are added, doubling up to
``max_replications``, while a window verdict is unclear (``evidence``) and while an "as
fast" verdict is (``settle``: to both settings compared, paired over their common seeds;
see ``rollsim.plan.pace``). Either verdict may so be looked at once at each count of the
ladder (5, 10, 20, 40), and each look is made at a share of the confidence, 98.75% of 95%
(``window_rule``, ``pace_rule``: ``rollsim.plan.evidence.look_level``). Those window verdicts
screen, on a normal bound; the setting recommended is run to ``WindowRule.confirm_runs`` (59)
and judged again on a distribution-free bound (``confirm``, ``rollsim.plan.answer.decide``).

1. **Top**: the largest count that keeps the availability floor in every replication
   (``largest_true``, guessed from the floor: ``⌊(1 − floor) × desired⌋`` unavailable
   nodes) and, for surge, fits the capacity budget (checked without simulating). A
   larger budget is never slower, so the top is the family's fastest safe setting. The
   search bisects on the floor alone (``Evidence.keeps_floor``), which a larger budget can only
   break; whether runs finish is no such line: the smallest budgets deadlock where NotReady
   nodes hold them (kubernetes/kubernetes#123233), and a run of any count may stall at random
   (maxSurge with minReadySeconds). A top whose runs did not all finish does not fit the window,
   and the phases after it, and ``decide``, judge it so.
2. **Fastest**: the tops that meet the window; the best mean duration among them, over the
   replications all of them ran (``fastest_paired``: the same seeds).
3. **Knee**: in each family whose top is shown as fast as that best, the smallest count
   that meets the window and is shown within ``tolerance`` of the best (``smallest_true``,
   guessed from the ideal batch count ``⌈desired / ⌈desired / top⌉⌉``): as fast, with fewer
   nodes at risk.
4. ``decide`` picks among every setting simulated (see ``rollsim.plan.answer``).

When no setting fits, ``rollsim.plan.relax.diagnose`` finds what relaxing each constraint would give.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rollsim.plan.bisect import largest_true, smallest_true
from rollsim.plan.candidates import UNAVAILABLE, Family, Setting
from rollsim.plan.constraints import Constraints
from rollsim.plan.evaluate import Evaluator
from rollsim.plan.evidence import Evidence, WindowRule, fastest_paired
from rollsim.plan.pace import Pace, PaceRule
from rollsim.plan.stalls import StallRisk, stall_risks
from rollsim.present.render import count_of
from rollsim.spec.budget import is_zero
from rollsim.spec.scenario import DaemonSetSpec
from rollsim.spec.versions import SURGE_SINCE, served_minor

__all__ = ["AS_FAST_MIN_SEEDS", "Capacity", "SearchSettings", "Search"]

# "as fast" is shown over 10 seeds at least (rollsim.plan.pace.PaceRule.min_seeds; audit 14)
AS_FAST_MIN_SEEDS = 10


@dataclass(frozen=True, slots=True)
class SearchSettings:
    """How hard to look: replications per setting (more when a window or "as fast" verdict is unclear).

    ``seed`` is the root seed; None (the default): one drawn from the inputs (``plan`` resolves it with
    ``rollsim.plan.store.inputs_seed``), so that plans of different clusters do not share one sample
    of seeds, and with it one sample's luck (audit 30: root seed 0's 59 runs were a light-tailed draw,
    and every plan without ``--seed`` used them).
    """

    replications: int = 5
    max_replications: int = 40
    tolerance: float = 0.02
    seed: int | None = None
    screen_replications: int = 2
    resolution: float = 0.0
    least: bool = False  # --least: with a window, also find the least that fits (rollsim.plan.least)

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

    @property
    def ladder(self) -> tuple[int, ...]:
        """The replication counts a confirmed setting can have: ``replications`` doubled up to
        ``max_replications`` (5, 10, 20, 40). Replications are only ever added this way, so a
        window verdict is made, and two settings are compared, over a count of this ladder: each
        is a look (``rollsim.plan.evidence.look_level``).
        """
        counts = [self.replications]
        while counts[-1] < self.max_replications:
            counts.append(min(self.max_replications, 2 * counts[-1]))
        return tuple(counts)

    def pace_rule(self, confidence: float) -> PaceRule:
        """What "as fast" means in this search: ``tolerance``, shown at ``confidence`` over the ladder's
        looks, and over ``AS_FAST_MIN_SEEDS`` seeds at least (or ``max_replications``, when fewer).
        """
        return PaceRule(self.tolerance, confidence, len(self.ladder),
                        min(AS_FAST_MIN_SEEDS, self.max_replications))

    def window_rule(self, constraints: Constraints) -> WindowRule:
        """What "meets the window" means in this search: the constraints' window, judged at their
        confidence over the ladder's looks.
        """
        return WindowRule.of(constraints, len(self.ladder))


@dataclass(frozen=True, slots=True)
class Capacity:
    """What surge pods request at once, against the budget (``NodeResourcesFit`` requests)."""

    cpu_millis: int
    memory_bytes: int
    constraints: Constraints
    # the hostPath volumes the pods mount (``/var/log (read-write)``): files a surge pod shares with the old one
    host_paths: tuple[str, ...] = ()

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


def no_surge_reason(daemonset: DaemonSetSpec, constraints: Constraints,
                    server_version: str | None = None, read_from_cluster: bool = False) -> str | None:
    """Why surge is out for this DaemonSet, or None.

    A cluster whose API server (``server_version``, its ``GET /version``) is older than v1.22
    has no DaemonSet maxSurge (feature gate ``DaemonSetUpdateSurge``: alpha and off in v1.21,
    beta and on from v1.22): its API server drops the field, so a patch setting it changes
    nothing, unless the DaemonSet read from that cluster (``read_from_cluster``) carries a maxSurge:
    its server kept the field, so the gate is on there (as ``simulate`` reads it).
    Declared host ports (hostNetwork declares every container port as one): the scheduler's
    NodePorts filter keeps the surge pod Pending beside the old pod. hostNetwork with no port
    declared passes that filter, but the new pod shares the node's network with the old one, so
    a port the agent binds anyway makes it fail until the old pod is gone (which ``simulate``
    does not model): a choice of the plan's, not an upstream rule, and the reason says so.
    """
    if not constraints.allow_surge:
        return "surge not allowed (--no-surge)"
    minor = served_minor(server_version)
    kept = read_from_cluster and not is_zero(daemonset.strategy.max_surge)
    if minor is not None and minor < SURGE_SINCE and not kept:
        return (f"the cluster runs {server_version}: a DaemonSet's maxSurge needs Kubernetes 1.{SURGE_SINCE} or later "
                "(feature gate DaemonSetUpdateSurge, beta from v1.22; an older API server drops the field)")
    if daemonset.placement.host_network and not daemonset.host_ports:
        return ("hostNetwork: a surge pod shares the node's network with the old pod, so a port the agent binds "
                "would make it fail until the old pod is gone (no port is declared, so the scheduler would place it "
                "and `simulate --max-surge` would not see the clash); the plan does not surge it")
    if daemonset.placement.host_network:
        ports = ", ".join(map(str, daemonset.host_ports))
        return f"hostNetwork, ports {ports}: a surge pod cannot be scheduled beside the old pod (NodePorts filter)"
    if daemonset.host_ports:
        ports = ", ".join(map(str, daemonset.host_ports))
        return f"hostPort {ports}: a surge pod cannot be scheduled beside the old pod (NodePorts filter)"
    return None


class Search:
    """One plan's search over the families of settings (see the module docstring)."""

    def __init__(self, evaluator: Evaluator, constraints: Constraints, desired: int, capacity: Capacity,
                 families: Iterable[Family], settings: SearchSettings = SearchSettings(),
                 prone: Iterable[Family] = ()) -> None:
        self.ev, self.c, self.desired, self.capacity = evaluator, constraints, desired, capacity
        self.families, self.s = tuple(families), settings
        self.prone = frozenset(prone)  # the families that can stall whatever their runs show (``can_stall``)
        self.tops: dict[Family, int | None] = {}
        self.knees: dict[Family, int | None] = {}
        self.best_setting: Setting | None = None  # the fastest top that meets the window (``run``)
        self.n = settings.replications  # replications the current search asks for
        self.rule = settings.pace_rule(constraints.confidence)
        self.window = settings.window_rule(constraints)

    # -- evidence ---------------------------------------------------------------------------

    def evidence(self, settings: Iterable[Setting], at_least: int = 0) -> list[Evidence]:
        """Evaluate with the current replications (screening or full; ``at_least`` if more), then,
        at full replications, add replications while a window verdict is unclear.
        """
        out = self.ev.evaluate(settings, max(self.n, at_least))
        if self.n < self.s.replications:
            return [self.ev.evidence(e.setting) for e in out]
        unclear = [e for e in out if self.window.unclear(e) and e.replications < self.s.max_replications]
        while unclear:
            n = min(self.s.max_replications, 2 * max(e.replications for e in unclear))
            self.ev.evaluate([e.setting for e in unclear], n)
            out = [self.ev.evidence(e.setting) for e in out]
            # still unclear: doubled again, up to --max-replications (it stopped after one doubling)
            unclear = [e for e in out if self.window.unclear(e) and e.replications < self.s.max_replications]
        return out

    @property
    def best(self) -> Evidence | None:
        """The fastest top that meets the window, with every replication run so far (``settle``
        and ``decide`` add some after ``run`` chose it), or None before ``run`` found one.
        """
        return None if self.best_setting is None else self.ev.evidence(self.best_setting)

    def one(self, setting: Setting) -> Evidence:
        """The evidence for one setting."""
        return self.evidence([setting])[0]

    def confirm(self, setting: Setting) -> Evidence:
        """``setting`` run to the window rule's ``confirm_runs`` (59 at p95 and 95%), from which its
        window verdict is the distribution-free one (``WindowRule.bound``); unchanged without a window.
        """
        if self.c.window_s is None:
            return self.one(setting)
        return self.ev.evaluate([setting], self.window.confirm_runs)[0]

    def confirmed(self) -> list[Evidence]:
        """Every setting simulated with the full replications (the others were only screened)."""
        return [e for e in self.ev.evaluated() if e.replications >= self.s.replications]

    def stall_risks(self) -> dict[Family, StallRisk]:
        """Each family's stall risk, pooled over every run simulated (the screened ones are rollouts too)."""
        return stall_risks(self.ev.evaluated(), self.c.confidence, self.prone)

    def worth_more(self, p: Pace) -> bool:
        """An unclear "as fast" verdict that more replications, up to ``max_replications``, could settle."""
        most = self.s.max_replications
        return p.unclear and p.replications < most and not self.rule.futile(p, most)

    def settle(self, settings: Iterable[Setting], against: Setting) -> dict[Setting, Pace]:
        """How each of ``settings`` (evaluated) compares with ``against`` (``self.rule``: paired
        over their common seeds), replications added to both while a verdict is unclear and more
        could settle it (``worth_more``): the pairs at the fewest common replications doubled
        together, up to ``max_replications``.
        """
        wanted = list(dict.fromkeys(settings))
        while True:
            reference = self.ev.evidence(against)
            paces = {s: self.rule.compare(self.ev.evidence(s), reference) for s in wanted}
            unclear = [s for s, p in paces.items() if self.worth_more(p)]
            if not unclear:
                return paces
            fewest = min(paces[s].replications for s in unclear)
            n = min(self.s.max_replications, 2 * fewest)
            self.evidence([*(s for s in unclear if paces[s].replications == fewest), against], at_least=n)

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

    def probe(self, family: Family) -> Callable[[Iterable[int]], list[Evidence]]:
        """Evaluate counts of ``family`` together, as a bisection's round asks (``rollsim.plan.bisect``)."""
        return lambda counts: self.evidence([family.at(c) for c in counts])

    def smallest_meeting_window(self, family: Family, lo: int, hi: int) -> int | None:
        """The smallest count in ``[lo, hi]`` of ``family`` that meets the window on its confirmation
        runs (floor ignored): a bisection on the screen (``smallest_true_window``), then, where the
        screen was optimistic, a gallop up over confirmed counts (``smallest_confirmed``). The
        relaxations and the least that fits use it (``decide``'s fallback for a family that stalled
        takes the screen's count alone, ``smallest_true_window``, and runs it to its stall-free runs).
        """
        n = self.smallest_true_window(family, lo, hi)
        if n is not None and not self.window.meets(self.confirm(family.at(n))):  # the screen was optimistic
            n = self.smallest_confirmed(family, n + 1, hi) if n < hi else None
        return n

    def smallest_true_window(self, family: Family, lo: int, hi: int) -> int | None:
        """The smallest count in ``[lo, hi]`` of ``family`` that meets the window (floor ignored)."""
        return smallest_true(lambda n: self.window.meets(self.one(family.at(n))), lo, hi, lo, self.probe(family))

    def smallest_confirmed(self, family: Family, lo: int, hi: int) -> int | None:
        """The smallest count in ``[lo, hi]`` of ``family`` that meets the window on its confirmation
        runs (``confirm``; floor ignored): galloping up from ``lo``, then bisecting, each round's counts
        run together (audit 15: one count at a time, a 50-node plan ran 936 runs).
        """
        def confirm(counts: Iterable[int]) -> None:
            self.ev.evaluate([family.at(n) for n in counts], self.window.confirm_runs)

        return smallest_true(lambda n: self.window.meets(self.confirm(family.at(n))), lo, hi, lo, confirm,
                             gallop=True)

    def upper(self, family: Family) -> int:
        """The largest count worth searching for ``family`` (desired nodes, or what surge capacity allows)."""
        return self.desired if family.kind == UNAVAILABLE else min(self.desired, self.capacity.largest(self.desired))

    # -- the phases --------------------------------------------------------------------------

    def top(self, family: Family) -> int | None:
        """The largest count of ``family`` that keeps the availability floor, its runs finished
        or not (the module docstring), or None.
        """
        hi = self.upper(family)
        if hi < 1:
            return None
        guess = max(1, math.floor((1 - self.c.min_available_fraction) * self.desired + 1e-9)) \
            if family.kind == UNAVAILABLE else hi
        safe = lambda n: self.one(family.at(n)).keeps_floor(self.c)  # noqa: E731  (finished or not: see run)
        return self.screened(lambda g, **kw: largest_true(safe, 1, hi, g, self.probe(family), **kw), guess)

    def knee(self, family: Family, top: int, best: Setting) -> int | None:
        """The smallest count within the window and shown as fast as ``best`` (``settle``).

        ``smallest_true`` needs a predicate false below some count and true above it. The mean
        duration does not rise with the count (a larger budget is never slower), and replication
        r of every count runs the same seed, so the measured slowdowns fall nearly monotonically
        as the count rises, and the verdict with them: "as fast" above the boundary, "slower"
        below, "unclear" near it (replications added while they could settle it; else counted
        as slower). Where noise leaves it not quite monotone, the search may stop at a count
        above the smallest one that is as fast, never at one that is not: the count it returns
        was itself tested and shown as fast.
        """
        guess = math.ceil(self.desired / math.ceil(self.desired / top))

        def settled(counts: Iterable[int]) -> None:  # one parallel round, then the unclear pairs together
            within = [e.setting for e in self.probe(family)(counts) if self.window.meets(e)]
            self.settle(within, best)

        def fast_enough(n: int) -> bool:
            setting = family.at(n)
            if not self.window.meets(self.one(setting)):
                return False
            # the replications settle adds can move the window verdict too
            return self.settle([setting], best)[setting].as_fast and self.window.meets(self.one(setting))

        # Not screened: "as fast as the best, within 2%" is decided on small differences, and a
        # screened answer on a flat stretch of the curve can land far from the full one.
        return smallest_true(fast_enough, 1, top, guess, settled, resolution=self.s.resolution)

    def run(self) -> None:
        """Phases 1 to 3; afterwards ``self.ev`` holds every setting simulated."""
        for family in self.families:
            self.tops[family] = self.top(family)
        tops = [(f, self.one(f.at(t))) for f, t in self.tops.items() if t is not None]
        fitting = [(f, e) for f, e in tops if self.window.meets(e)]
        if not fitting:
            return
        best = self.best_setting = fastest_paired([e for _, e in fitting]).setting
        paces = self.settle([e.setting for _, e in fitting], best)
        for family, e in fitting:
            if paces[e.setting].as_fast:
                self.knees[family] = self.knee(family, e.setting.count, best)
