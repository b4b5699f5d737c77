"""The API server's value rules for a DaemonSet, after its defaults, raising the first failure.

``ValidateObjectMeta`` (name, namespace), ``ValidateLabelSelector`` with the DaemonSet's own
selector rules, and ``SetDefaults_DaemonSet`` then ``ValidateDaemonSetUpdateStrategy`` /
``ValidateRollingUpdateDaemonSet``. The pod template's rules are in ``rollsim.io.manifest.pod``
and ``rollsim.io.manifest.resources``.
Every function takes the data after ``rollsim.io.manifest.fields`` has checked its types.
"""

from __future__ import annotations

from typing import Any, cast

from rollsim.io.manifest.errors import Where, describe, show
from rollsim.spec.budget import IntOrPercent, is_percent, validate_rolling_update
from rollsim.spec.kinds import INT32_MAX
from rollsim.spec.labelsyntax import DNS_LABEL_RULE, DNS_SUBDOMAIN_RULE, is_dns_label, is_dns_subdomain
from rollsim.spec.quantity import is_ascii_digits
from rollsim.spec.quoting import written
from rollsim.spec.scenario import ON_DELETE, ROLLING_UPDATE, UpdateStrategy

__all__ = ["as_int", "as_list", "as_map", "as_text", "non_negative", "object_meta",
           "selector",
           "update_strategy"]

_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def as_map(value: Any) -> dict[str, Any]:
    """A mapping field (already type-checked): empty when unset."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """A list field (already type-checked): empty when unset."""
    return value if isinstance(value, list) else []


def as_int(value: Any, default: int) -> int:
    """An int field (already type-checked): ``default`` when unset."""
    return default if value is None else int(value)


def as_text(value: Any) -> str:
    """A string field (already type-checked): empty when unset."""
    return "" if value is None else str(value)


def non_negative(where: Where, value: Any, path: str) -> None:
    """The API server's ``ValidateNonnegativeField``: ``value``, when set, must be >= 0."""
    if value is not None and value < 0:
        raise where.error(path, f"must be greater than or equal to 0, got {value}")


# metadata -------------------------------------------------------------------------------
def object_meta(where: Where, meta: dict[str, Any], namespace: str | None = None) -> tuple[str, str]:
    """The DaemonSet's name and namespace, checked as DNS names: without ``metadata.namespace``,
    ``namespace`` (``-n``, as ``kubectl apply -n NS -f`` gives it), else ``default``.
    """
    name = meta.get("name")
    namespace = meta.get("namespace") or namespace or "default"
    if not name:
        raise where.error("metadata.name", "required: a DaemonSet needs a name (kubectl apply does not take "
                                           "generateName)")
    if not is_dns_subdomain(name):
        raise where.error("metadata.name", f"invalid name {show(name)}: {DNS_SUBDOMAIN_RULE}")
    if not is_dns_label(namespace):
        raise where.error("metadata.namespace", f"invalid namespace {show(namespace)}: {DNS_LABEL_RULE}")
    return name, namespace


# selector -------------------------------------------------------------------------------
def selector(where: Where, spec: dict[str, Any]) -> None:
    """``ValidateLabelSelector`` plus the DaemonSet rules: required, not empty, matching the template."""
    chosen = spec.get("selector")
    if chosen is None:
        raise where.error("spec.selector", "required: apps/v1 has no default selector; give matchLabels "
                                           "equal to (some of) spec.template.metadata.labels")
    match_labels = as_map(chosen.get("matchLabels"))
    expressions = as_list(chosen.get("matchExpressions"))
    for i, expr in enumerate(expressions):
        _selector_requirement(where, as_map(expr), f"spec.selector.matchExpressions[{i}]")
    if not match_labels and not expressions:
        raise where.error("spec.selector", "empty selector is invalid for daemonset: it would select every pod "
                                           "in the namespace")
    template = spec.get("template")
    if template is None:
        raise where.error("spec.template", "required: a DaemonSet needs a pod template")
    labels = {k: as_text(v) for k, v in as_map(as_map(template.get("metadata")).get("labels")).items()}
    mismatch = _selector_mismatch(match_labels, expressions, labels)
    if mismatch:
        raise where.error("spec.template.metadata.labels", f"selector does not match template labels: {mismatch}")


def _selector_requirement(where: Where, expr: dict[str, Any], path: str) -> None:
    op, values = expr.get("operator"), as_list(expr.get("values"))
    if not expr.get("key"):
        raise where.error(f"{path}.key", "required: a selector requirement needs a key")
    if op not in _SELECTOR_OPERATORS:
        raise where.error(f"{path}.operator", f"must be one of {', '.join(_SELECTOR_OPERATORS)}, got {show(op)}")
    if op in ("In", "NotIn") and not values:
        raise where.error(f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'")
    if op in ("Exists", "DoesNotExist") and values:
        raise where.error(f"{path}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")


def _selector_mismatch(match_labels: dict[str, Any], expressions: list[Any], labels: dict[str, str]) -> str | None:
    """Why the selector does not select pods with ``labels`` (``LabelSelectorAsSelector``), or None."""
    for key, want in match_labels.items():
        have = labels.get(key)
        if have != as_text(want):
            got = "no such label" if have is None else f"{key}={have}"
            return f"matchLabels needs {key}={as_text(want)}, the template has {got}"
    for expr in expressions:
        expr = as_map(expr)
        key, op = as_text(expr.get("key")), expr.get("operator")
        values = [as_text(v) for v in as_list(expr.get("values"))]
        have = labels.get(key)
        ok = {"In": have is not None and have in values, "NotIn": have is None or have not in values,
              "Exists": have is not None, "DoesNotExist": have is None}[cast(str, op)]
        if not ok:
            got = "no such label" if have is None else f"{key}={have}"
            return f"matchExpressions needs {key} {op} {values or ''}".rstrip() + f", the template has {got}"
    return None


# update strategy ------------------------------------------------------------------------
def update_strategy(where: Where, spec: dict[str, Any]) -> UpdateStrategy:
    """``SetDefaults_DaemonSet`` then ``ValidateDaemonSetUpdateStrategy``."""
    base = "spec.updateStrategy"
    strategy = as_map(spec.get("updateStrategy"))
    kind = strategy.get("type") or ROLLING_UPDATE
    if kind not in (ROLLING_UPDATE, ON_DELETE):
        raise where.error(f"{base}.type", f"must be RollingUpdate or OnDelete, got {show(kind)}")
    rolling = as_map(strategy.get("rollingUpdate"))
    raw_mu = rolling.get("maxUnavailable")
    raw_ms = rolling.get("maxSurge")
    if kind == ON_DELETE:  # the API ignores rollingUpdate then; keep valid values for flags to build on
        try:
            return UpdateStrategy(ON_DELETE, *validate_rolling_update(1 if raw_mu is None else raw_mu,
                                                                      0 if raw_ms is None else raw_ms))
        except ValueError:
            return UpdateStrategy(ON_DELETE)
    path_mu, path_ms = f"{base}.rollingUpdate.maxUnavailable", f"{base}.rollingUpdate.maxSurge"
    mu = _int_or_percent(where, 1 if raw_mu is None else raw_mu, path_mu)
    ms = _int_or_percent(where, 0 if raw_ms is None else raw_ms, path_ms)
    for value, path in ((mu, path_mu), (ms, path_ms)):
        if isinstance(value, str) and int(value[:-1]) > 100:
            raise where.error(path, f"must not be greater than 100%, got {show(value)}")
    zero_mu, zero_ms = _is_zero(mu), _is_zero(ms)
    if zero_mu and zero_ms:
        raise where.error(path_mu, "cannot be 0 when maxSurge is 0 (the rollout could never replace a pod)")
    if not zero_mu and not zero_ms:
        raise where.error(path_ms, "may not be set when maxUnavailable is non-zero (to surge, set "
                                   "maxUnavailable: 0)")
    return UpdateStrategy(ROLLING_UPDATE, mu, ms)


def _int_or_percent(where: Where, value: Any, path: str) -> IntOrPercent:
    """``ValidatePositiveIntOrPercent``: an int must be >= 0, a string must be a percent."""
    given = value  # 1e308 is said as written (1e+308), not as its 309 digits
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if not -INT32_MAX - 1 <= value <= INT32_MAX:  # IntOrString's IntVal is an int32: the decoder refuses more
            raise where.error(path, f"is out of range for an int32, got {written(given)}")
        non_negative(where, value, path)
        return value
    if isinstance(value, str):
        if is_percent(value):
            return value
        hint = f"; for a count, write {value} without quotes" if is_ascii_digits(value.strip()) else ""
        raise where.error(path, f"invalid value {show(value)}: a valid percent string must be a numeric string "
                                f"followed by an ending '%' (e.g. '1%' or '93%'){hint}")
    raise where.error(path, f"must be an integer or a percent string such as '10%', got {describe(value)}")


def _is_zero(value: IntOrPercent) -> bool:
    """``getIntOrPercentValue(v) == 0``: "0%" counts as zero."""
    return (int(value[:-1]) if isinstance(value, str) else value) == 0
