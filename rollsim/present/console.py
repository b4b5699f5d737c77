"""What the command line prints: each command's result as text, or as ``-o json|yaml|wide|name``.

As ``kubectl get -o``: ``json`` and ``yaml`` are the whole result as data (parse them with
``jq``/``yq`` or ``json.loads``), ``wide`` is the text with more columns, ``name`` one name
per line for the next command of a pipe. Every function here is pure: it takes what the
command computed and returns the text; the command prints it. ``rollsim simulate``'s text is
in ``rollsim.present.console_simulate``, ``rollsim run``'s in ``rollsim.present.console_run``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["FORMATS", "plain", "render_data", "nodes_table", "node_names", "calibration_wide", "paths_wide"]

FORMATS = ("json", "yaml", "wide", "name")


def plain(value: Any) -> Any:
    """JSON- and YAML-safe data: NaN and infinities become null, numpy scalars Python ones."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def render_data(data: Any, fmt: str) -> str:
    """``data`` as JSON (indented by 2) or YAML (block style, keys in order), ending in a newline."""
    data = plain(data)
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    if fmt == "yaml":
        import yaml

        from rollsim.io.goyaml import SafeDumper

        return yaml.dump(data, Dumper=SafeDumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                         width=100)
    raise ValueError(f"not a data format: {fmt!r}")


# --- make-nodes -------------------------------------------------------------------------

def node_names(document: Mapping[str, Any]) -> str:
    """``-o name``: ``node/<name>`` per line, as ``kubectl get nodes -o name``."""
    return "".join(f"node/{item['metadata']['name']}\n" for item in document.get("items", []))


def nodes_table(document: Mapping[str, Any]) -> str:
    """``-o wide``: the columns of ``kubectl get nodes -o wide`` that rollsim reads."""
    rows = [("NAME", "STATUS", "ROLES", "ZONE", "CPU", "MEMORY", "TAINTS")]
    for item in document.get("items", []):
        meta, spec, status = item["metadata"], item.get("spec", {}), item.get("status", {})
        labels = meta.get("labels", {})
        ready = next((c.get("status") for c in status.get("conditions", []) if c.get("type") == "Ready"), "Unknown")
        state = "Ready" if ready == "True" else "NotReady"
        if spec.get("unschedulable"):
            state += ",SchedulingDisabled"
        roles = ",".join(sorted(k.rsplit("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/")))
        taints = ",".join(f"{t['key']}:{t['effect']}" for t in spec.get("taints", []))
        alloc = status.get("allocatable", {})
        rows.append((meta["name"], state, roles or "<none>", labels.get("topology.kubernetes.io/zone", "<none>"),
                     str(alloc.get("cpu", "")), str(alloc.get("memory", "")), taints or "<none>"))
    return _table(rows)


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "".join("   ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n" for r in rows)


# --- calibrate, plot, report -------------------------------------------------------------

def calibration_wide(calibration: Any) -> str:
    """``-o wide``: the table, then each phase's families with their KS statistic and p-value."""
    from rollsim.io.calibrate import format_table

    rows = [("PHASE", "FAMILY", "FIT", "KS D", "P-VALUE")]
    for name, fit in calibration.phases.items():
        for family in fit.families:
            if family.distribution is None:
                rows.append((name, family.family, f"— ({family.note})", "—", "—"))
            else:
                rows.append((name, family.family, str(family.distribution), f"{family.ks_statistic:.3f}",
                             f"{family.p_value:.2g}"))
    return format_table(calibration) + "\n\n" + _table(rows).rstrip("\n")


def paths_wide(paths: Sequence[Path]) -> str:
    """``-o wide``: each file written with its size."""
    return "".join(f"{p}\t{p.stat().st_size:,} bytes\n" for p in paths)
