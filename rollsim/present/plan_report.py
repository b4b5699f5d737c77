"""The report of a plan: report.md and report.html, written from the plan folder alone.

The order is the reader's: the answer and the patch first, then the constraints it was
held to, the evidence (every setting simulated and why it lost), the figures, what was
simulated and how the search went. Rendering is ``rollsim.present.render``'s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from rollsim.io.atomic import write_text
from rollsim.io.csvfile import csv_damage
from rollsim.present.output import write_pngs
from rollsim.present.plan_captions import captions
from rollsim.present.plan_evidence import duration_text as _d
from rollsim.present.plan_evidence import evidence, margin_words, weighed
from rollsim.present.plan_plots import (
    render_plan_figures,
)
from rollsim.present.render import (
    count_of,
    format_bound,
    format_setting,
    format_share,
    format_value,
    format_workers,
    render_html,
    render_markdown,
)
from rollsim.present.surge_budget import surge_cost_words
from rollsim.spec.eligibility import counted
from rollsim.spec.quoting import describe
from rollsim.spec.scenario import is_default_timing
from rollsim.sweep.results import ResultsError

__all__ = ["extra_capacity", "load_plan", "plain_markdown", "plan_report_blocks", "write_plan_figures",
           "write_plan_report"]


def load_plan(path: str | Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """plan.json and candidates.csv of a plan folder."""
    root = Path(path)
    missing = [n for n in ("plan.json", "candidates.csv") if not (root / n).is_file()]
    if missing:
        raise ResultsError(f"{root}: not a plan folder (missing {', '.join(missing)})")
    try:
        plan = json.loads((root / "plan.json").read_text(encoding="utf-8"))
        candidates = pd.read_csv(root / "candidates.csv")
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, pandas' ParserError, EmptyDataError
        raise _damaged(root, exc) from None
    if not isinstance(plan, dict):
        raise _damaged(root, TypeError(f"plan.json holds {describe(plan)}, not a mapping"))
    why = csv_damage(root / "candidates.csv", candidates, *_KINDS)
    if why is not None:
        raise ResultsError(f"{root / 'candidates.csv'}: damaged plan folder: {why}; run the plan again")
    return plan, candidates


# candidates.csv's columns whose cells must be True or False, and those that must be numbers (or empty)
_KINDS = (("completed",),
          ("count", "min_ready_seconds", "extra_pods", "replications", "duration_mean_s", "duration_p50_s",
           "duration_p95_s", "window_bound_s", "worst_availability", "max_surge_observed", "runs_unfinished",
           "runs_stalled", "unavailable_node_seconds_mean"))


def _damaged(root: Path, exc: BaseException) -> ResultsError:
    """A plan folder whose files do not hold what ``rollsim plan`` writes: bad input, not a bug."""
    return ResultsError(f"{root}: damaged plan folder: plan.json or candidates.csv do not hold what rollsim plan "
                        f"writes ({' '.join(str(exc).split())}); run the plan again")


def _drawn(root: Path) -> tuple[dict[str, Any], pd.DataFrame, dict[str, bytes], list[tuple]]:
    """The plan, its candidates, its figures (PNG bytes) and its report blocks, all made before
    anything is written, so that a damaged folder is left as it was.
    """
    plan, candidates = load_plan(root)
    try:
        images = render_plan_figures(plan, candidates)
        return plan, candidates, images, plan_report_blocks(plan, candidates, list(images))
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise _damaged(root, exc) from None


def _unsettled_rows(unsettled: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """The unsettled setting nearest the answer (the last: the most preferred come first) in full,
    as the console says it; the others in one row, by name and bound (their sentences differ only
    in numbers, and the evidence table below has each one's verdict).
    """
    if not unsettled:
        return []
    rows = [["unsettled", str(unsettled[-1]["text"])]]
    others = unsettled[:-1]
    if others:
        named = "; ".join(f"{u['setting']} ({u['pace']})" if u.get("pace") else str(u["setting"]) for u in others)
        rows.append([f"unsettled ({len(others)} more)",
                     f"also preferred had they been shown as fast, and not shown within the tolerance either, "
                     f"so counted as slower (their verdicts in the evidence below): {named}"])
    return rows


def _answer(plan: Mapping[str, Any]) -> list[tuple]:
    a, cons = plan["answer"], plan["constraints"]
    if a is None:
        blocks: list[tuple] = [("p", [("b", "No setting meets every constraint. "),
                                      ("", f"The binding constraint is the {plan['binding']}. What relaxing each "
                                           "constraint would give:")])]
        blocks.append(("ul", [[("", r["text"])] for r in plan["relaxations"]] or [[("", "nothing found")]]))
        return blocks
    q = f"p{100 * cons['window_probability']:g}"
    # how the answer was weighed (absent from a plan folder written before plans said so)
    weighed = [["speed", a["pace"]["text"]]] if a.get("pace") else []
    weighed += _unsettled_rows(a.get("unsettled") or [])
    weighed += [["stall risk", a["stall_risk"]["text"]]] if a.get("stall_risk") else []
    least = (a.get("least") or {}).get("text") or a.get("least_note")  # with a window only
    weighed += [["least that fits", least]] if least else []
    rows = [
        ["setting", f"{a['setting']}"],
        ["duration p50", f"{_d(a['duration_p50_s'])} (95% CI {_d(a['duration_p50_ci_low_s'])} – "
                         f"{_d(a['duration_p50_ci_high_s'])})"],
        *([["duration p95", f"{_d(a['duration_p95_s'])} (of the runs: the bound below is what is judged)"],
           [f"{q} bound judged against the window", _answer_bound(a, cons, plan)]] if cons.get("window_s") else
          [["duration p95", _d(a["duration_p95_s"])],  # no window: nothing judges the bound (audit 28)
           [f"{q} bound", _answer_bound(a, cons, plan)]]),
        *weighed,
        ["worst availability", f"{format_share(a['worst_availability'], (cons['min_available_fraction'],))} of "
                               f"the DaemonSet's nodes (floor {format_share(cons['min_available_fraction'])})"],
        ["extra capacity at once", extra_capacity(a, plan["daemonset"])],
        *([["reproduce a run", a["reproduce"]]] if a.get("reproduce") else []),  # none in older plan folders
    ]
    note = [("p", [("b", "Note: "), ("", a["note"][:1].upper() + a["note"][1:] + ".")])] if a.get("note") else []
    return [("p", [("b", "Recommended: "), ("code", a["setting"]), ("", ". Apply it with:")]),
            ("p", [("code", a["patch"])]), *note, ("table", ["", ""], rows)]


def _answer_bound(a: Mapping[str, Any], cons: Mapping[str, Any], plan: Mapping[str, Any]) -> str:
    """The answer's window bound and what it is: distribution-free (a plan folder of today) or
    the normal tolerance bound alone (one written before the answer's verdict was confirmed).
    """
    bound, confidence = format_bound(a["window_bound_s"]), f"{100 * cons['confidence']:g}%"
    kind = str(a.get("window_bound_kind") or "")
    margin = margin_words(a["window_bound_s"], cons.get("window_s"))
    if kind.startswith("distribution-free"):
        return (f"{bound} ({kind} at {confidence} confidence: whatever the durations' shape; the search screened "
                f"on a normal tolerance bound{_window_looks(plan)}){margin}")
    return (f"{bound} (tolerance bound at {confidence} confidence{_window_looks(plan)}, {a['replications']} "
            f"replications; normal theory, optimistic for durations skewed by stragglers){margin}")


def _window_looks(plan: Mapping[str, Any]) -> str:
    """``: 98.75% at each of its up to 4 looks``, the level each window verdict was made at ("" for
    a plan folder written before the window verdict's looks shared its confidence).
    """
    s = plan["search"]
    if "window_level" not in s or s["looks"] < 2:
        return ""
    return f": {100 * s['window_level']:g}% at each of its up to {s['looks']} looks"


def default_tail_words(ready: Any, profile: bool = False) -> str:
    """When the ready time is the default: its straggler tail is a fit, and it can decide the window
    verdict (audit 18: a 500-node plan found no setting for 20 minutes, even at a 100% budget, because
    of it, and its report did not say so; audit 40: the console did not say it either); "" otherwise.
    ``profile``: a timing profile was given (``--timings``), which then had no ready time of its own.
    """
    from rollsim.spec.scenario import is_default_ready

    if ready is None or not is_default_ready(ready):
        return ""
    fix = ("the timing profile given (--timings) has no ready time of its own (too few pods measured: rollsim "
           "calibrate said so); calibrate a rollout of more nodes, or give --ready" if profile else
           "give --timings (a profile rollsim calibrate writes) or --calibrate to replace it")
    return ("the ready time is the default: its straggler tail, 2% of nodes Ready after a median of about 400 s, "
            "is a fit to two field reports, not a measurement of your agent, and its slowest nodes can decide "
            f"whether a window is met; {fix}")


def extra_capacity(answer: Mapping[str, Any], daemonset: Mapping[str, Any]) -> str:
    """What the answer asks for beyond delete-first: ``0 pods``, or for a surge setting its pods,
    what they request (``50 CPU (500 × 100m) and 97.7 GiB (500 × 200Mi)``), the overlap its runs
    showed and the hostPath volumes the two pods of a node share meanwhile (``surge_cost_words``, which
    words a relaxation's cost too).
    """
    pods = int(answer["extra_pods"])
    if pods == 0:
        return "0 pods"
    return surge_cost_words(pods, int(answer.get("extra_pods_observed") or 0), daemonset["requests_cpu_millis"],
                            daemonset["requests_memory_bytes"], daemonset.get("host_paths") or [],
                            held=int(answer.get("extra_pods_held") or 0))


def _simulated(plan: Mapping[str, Any]) -> list[tuple]:
    ds, cl, sc = plan["daemonset"], plan["cluster"], plan.get("scenario", {})
    cur = ds["current_strategy"]
    rows = [["DaemonSet", f"{ds['namespace']}/{ds['name']}"],
            ["current strategy", (f"{cur['type']}, maxUnavailable {cur['max_unavailable']}, "
                                  f"maxSurge {cur['max_surge']}" if cur["type"] != "OnDelete" else "OnDelete")
                                 + f", minReadySeconds {ds['min_ready_seconds']:g}"],
            ["pod requests", f"{format_setting('requests_cpu_millis', ds['requests_cpu_millis'])} CPU, "
                             f"{format_setting('requests_memory_bytes', ds['requests_memory_bytes'])} memory"],
            ["host ports / hostNetwork", f"{format_value(ds['host_ports'])} / {format_value(ds['host_network'])}"],
            *([["hostPath volumes", format_value(ds["host_paths"])]] if ds.get("host_paths") else []),
            ["nodes", f"{cl['desired']:,} of {cl['nodes']:,} should run the pod"
                      + (f", {count_of(cl['not_ready'], 'NotReady node')} among them (the DaemonSet tolerates their "
                         "taints; their new pods never become available, so kubectl rollout status does not return "
                         "while they are NotReady, and the plan judges a run done once every other node is: fix "
                         "them, or delete their Node objects)" if cl.get("not_ready") else "")
                      + (f"; {count_of(cl['held_for_good'], 'unreachable node')} no longer desired, whose old pods "
                         "stay terminating and count against maxUnavailable" if cl.get("held_for_good") else "")
                      + "".join(f"; {counted(n, reason)}" for reason, n in cl["not_running"])],
            *([["other pods on the nodes", cl["other_pods"]]] if cl.get("other_pods") else []),
            *([["disk pressure", cl["disk_pressure"]]] if cl.get("disk_pressure") else []),
            ["inputs", ", ".join(f"{k}: {v}" for k, v in plan["source"].items() if k != "calibrated_timings") or
             "built-in defaults"]]
    phases = [k for k in ("schedule", "pull", "start", "ready", "terminate", "probe_period") if k in sc]
    if phases:
        tail = default_tail_words(sc.get("ready"), bool(plan["source"].get("timings_file")))
        rows.append(["timings", "; ".join(f"{k} {sc[k]}" + (" (default)" if is_default_timing(k, sc[k]) else "")
                                          for k in phases) + (f" ({tail})" if tail else "")])
    if "calibrated_timings" in plan["source"]:
        phases = sorted(plan["source"]["calibrated_timings"])  # those a timing profile did not replace
        rows.append(["calibrated from the cluster", "yes: " + ", ".join(phases) if phases else
                     "asked, but the timing profile (--timings) gave every phase"])
    controller = sc.get("controller") if isinstance(sc, Mapping) else None
    if controller is not None:
        rows.append(["controller", json.dumps(controller) if not isinstance(controller, str) else controller])
    version = sc.get("kubernetes_version") if isinstance(sc, Mapping) else None
    if version is not None:
        served = plan["source"].get("server_version")
        rows.append(["Kubernetes version", f"the controller rules of {version}"
                     + (f" (the cluster runs {served})" if served else "")])
    return [("table", ["", ""], rows)]


def _as_fast(s: Mapping[str, Any], cons: Mapping[str, Any]) -> str:
    """How "as fast" and the preference among the as fast were decided (a plan folder written
    before plans showed "as fast" with confidence is described by its own rule).
    """
    if "as_fast_level" not in s:
        return (f"Settings within {100 * s['tolerance']:g}% of the fastest mean count as as fast; among those the one "
                "that keeps the most nodes available, then needs the least extra capacity, then the smallest budget ")
    confidence = f"{100 * cons['confidence']:g}%"
    return (f"A setting counts as as fast when it is shown within {100 * s['tolerance']:g}% of the fastest's mean "
            f"duration: paired over the same seeds, the one-sided bound on its slowdown at {confidence} "
            f"confidence is within it (each of the up to {s['looks']} replication counts a comparison is looked at "
            f"bounds at {100 * s['as_fast_level']:g}%, so that together they keep {confidence}); "
            f"replications are added to both, up to {s['max_replications']}, while that is unclear and more could "
            "settle it; one still unclear counts as slower. Among those as fast, one of a family in which no run "
            "stalled is preferred, then the one that keeps the most nodes available, then needs the least extra "
            "capacity, then the smallest budget ")


def _window(s: Mapping[str, Any], cons: Mapping[str, Any]) -> str:
    """How "meets the window" was decided ("" for a plan folder written before its looks shared the confidence)."""
    if "window_level" not in s or cons.get("window_s") is None:
        return ""
    q, confidence = f"p{100 * cons['window_probability']:g}", f"{100 * cons['confidence']:g}%"
    screen = (f"the one-sided normal tolerance bound on its duration {q} at {confidence} confidence is within the "
              "window "
              f"(each of the up to {s['looks']} replication counts the verdict is looked at bounds at "
              f"{100 * s['window_level']:g}%, so that together they keep {confidence})")
    runs = s.get("window_confirm_runs")
    if runs is None:  # a plan folder written before the answer's window verdict was confirmed
        return f"A setting meets the window when {screen}. "
    return (f"The search screens on whether {screen}; rollout durations are not normal (a straggler makes them "
            f"skewed), so the setting recommended is then run {runs} times and meets the window only when a "
            f"distribution-free bound on its {q} at {confidence} confidence (an order statistic of its runs: with "
            f"{runs} runs, the longest) is within it; a setting that misses it gives way to the next. ")


def _stall_runs(plan: Mapping[str, Any]) -> str:
    """``; the answer further, ...`` when the answer's family stalled or can (its stall verdict
    runs it past the search's replications: 80 against up to 40), else "".
    """
    risk = (plan.get("answer") or {}).get("stall_risk") or {}
    if not (risk.get("can_stall") or risk.get("stalled")):
        return ""
    return "; the answer further, to the stall-free runs its family's stall verdict needs"


def _seed_source(s: Mapping[str, Any]) -> str:
    """Where the root seed came from: the inputs (every plan of the same inputs runs the same seeds,
    another cluster its own), or ``--seed``; "" for a plan folder written before it was recorded.
    """
    if "seed_drawn_from_inputs" not in s:
        return ""
    if s["seed_drawn_from_inputs"]:
        return (", a digest of the inputs (so the same inputs run the same seeds and other inputs their own; a "
                "verdict near a constraint's edge can go the other way with another --seed)")
    return " (given with --seed)"


def _search(plan: Mapping[str, Any]) -> list[tuple]:
    s = plan["search"]
    reused = s.get("runs_reused") or 0  # runs kept in the folder by a plan before (rollsim.plan.store)
    kept = (f", {reused} of them kept from a plan before in runs.jsonl, not simulated again; their CPU is that "
            "plan's" if reused else "")
    text = (f"{s['settings_simulated']} settings of {s['grid_size']:,} possible were simulated ({s['runs']} runs"
            f"{kept}, {s['wall_s']:.1f} s wall on {format_workers(s['workers'], s['executor'])}, "
            f"{s['cpu_s_runs']:.1f} s of CPU in the runs). Every setting ran replication r with the same seed "
            f"(common random numbers), derived from the root seed {s['seed']}{_seed_source(s)}. The search for "
            f"each family's largest safe count screened with {s['screen_replications']} replications and confirmed "
            f"its answer and that answer's neighbour with {s['replications']}; the search for the smallest count as "
            f"fast used {s['replications']} throughout (up to {s['max_replications']} when a window or \"as fast\" "
            f"verdict was unclear{_stall_runs(plan)}). " + _window(s, plan["constraints"])
            + _as_fast(s, plan["constraints"])
            + ("wins. Counts are exact." if not s["resolution"] else
               f"wins. Counts are found to within {100 * s['resolution']:g}%.")
            + " The table reads every setting simulated in full as its runs stood at the end (replications added "
              "after the search can rule out a count it found): the top, the largest count that finished every run "
              "with the floor kept; the knee, the smallest that fits every constraint and was shown as fast as the "
              "fastest.")
    rows = [[f, _top_cell(f, s["tops"].get(f)), str(s["knees"].get(f, "—"))] for f in s["families"]]
    header = ["family", "top (largest safe count)", "knee (smallest as fast)"]
    blocks: list[tuple] = [("p", [("", text)]), ("table", header, rows)]
    if s.get("no_surge"):
        blocks.append(("note", f"maxSurge not considered: {s['no_surge']}."))
    return blocks


def _top_cell(family: str, top: Any) -> str:
    """A family's largest safe count, or why it has none: no count of it finished with the floor
    kept (a surge family: or was within the surge limits, --surge-pods and the like).
    """
    if top is not None:
        return str(top)
    if family.startswith("maxSurge"):
        return "— (no count within the surge limits finished with the floor kept)"
    return "— (no count finished with the floor kept)"


def _warnings(plan: Mapping[str, Any]) -> list[tuple]:
    """What reading the inputs warned of (a Kubernetes version the node list rules out, a field the
    manifest's version drops, ...), as the console said it: an answer forwarded carries its caveats.
    """
    warnings = plan.get("warnings") or []  # (a plan folder written before they were kept has none)
    if not warnings:
        return []
    return [("h", 3, "Warnings about the inputs"), ("ul", [[("", w)] for w in warnings])]


def plan_report_blocks(plan: Mapping[str, Any], candidates: pd.DataFrame, images: list[str]) -> list[tuple]:
    """The report's content; ``images`` names the figures that exist."""
    ds, shown_rows = plan["daemonset"], weighed(plan, candidates)
    blocks: list[tuple] = [("h", 1, f"rollsim plan: {ds['namespace']}/{ds['name']}"),
                           ("h", 2, "Answer"), *_answer(plan), *_warnings(plan),
                           ("h", 2, "Constraints"), ("table", ["constraint", "value"], plan["constraints"]["text"]),
                           ("h", 2, "Evidence: " + ("every setting simulated" if shown_rows.all()
                                                    else "the answer and what it was weighed against")),
                           *evidence(plan, candidates, shown_rows),
                           ("h", 2, "Figures")]
    shown = captions(plan, candidates)
    for name in images:
        title, caption = shown[name]
        blocks.append(("img", name, title, caption))
    blocks += [("h", 2, "What was simulated"), *_simulated(plan), ("h", 2, "How it was searched"), *_search(plan)]
    return blocks


def write_plan_figures(path: str | Path) -> list[Path]:
    """Write figures/*.png of the plan folder at ``path`` (``rollsim plot``); their paths."""
    root = Path(path)
    _plan, _candidates, images, _blocks = _drawn(root)
    return write_pngs(root / "figures", images)


def write_plan_report(path: str | Path) -> tuple[Path, Path]:
    """Write figures/*.png, report.md and report.html of the plan folder at ``path``."""
    root = Path(path)
    plan, _candidates, images, blocks = _drawn(root)
    write_pngs(root / "figures", images)
    title = f"rollsim plan: {plan['daemonset']['namespace']}/{plan['daemonset']['name']}"
    md, page = root / "report.md", root / "report.html"
    write_text(md, plain_markdown(render_markdown(blocks)))
    write_text(page, render_html(blocks, images, title))
    return md, page


# a "<" Markdown escapes that no HTML tag, comment or autolink can start from: a space or the end follows
_LONE_LT = re.compile(r"&lt;(?=\s|$)")


def plain_markdown(md: str) -> str:
    """``md`` (``render_markdown``) with each ``&lt;`` that stands for a lone ``<`` written as
    ``<``, so that report.md reads as plain text too ("94.5% < floor 95%", not "94.5% &lt;
    floor 95%"): CommonMark reads ``<`` followed by a space as text, never as a tag or link,
    so this lets no HTML in. Only report.html escapes it.
    """
    return _LONE_LT.sub("<", md)
