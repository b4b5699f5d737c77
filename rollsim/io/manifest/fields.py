"""Unknown fields and wrong types, checked against the ``kubernetes`` client's models.

As kubectl's strict field validation does: an unknown field is a warning (all are
collected) or, with ``strict=True``, an error; a value of the wrong type is always an
error, as the API server's decoder rejects it. IntOrString fields accept an int or a string.
"""

from __future__ import annotations

import difflib
import functools
from types import ModuleType
from typing import Any

from rollsim.io.manifest.errors import ManifestError, Where, describe, join
from rollsim.spec.kinds import INT32_MAX
from rollsim.spec.quantity import MAX_INT64, parse_quantity
from rollsim.spec.quoting import written

__all__ = ["check_fields"]

# Quantities (resource.Quantity) appear as strings in the client but accept numbers too.
_QUANTITY_FIELDS = {("V1ResourceRequirements", "limits"), ("V1ResourceRequirements", "requests"),
                    ("V1VolumeResourceRequirements", "limits"), ("V1VolumeResourceRequirements", "requests"),
                    ("V1PodSpec", "overhead"), ("V1EmptyDirVolumeSource", "sizeLimit")}

# int32 fields (the client's models say only "int"): what the API server's decoder refuses past 2^31 - 1
_INT32_FIELDS = {("V1DaemonSetSpec", "minReadySeconds"), ("V1DaemonSetSpec", "revisionHistoryLimit"),
                 ("V1ContainerPort", "containerPort"), ("V1ContainerPort", "hostPort"), ("V1PodSpec", "priority"),
                 *(("V1Probe", f) for f in ("initialDelaySeconds", "periodSeconds", "timeoutSeconds",
                                             "successThreshold", "failureThreshold"))}


def check_fields(data: dict[str, Any], where: Where, strict: bool) -> tuple[str, ...]:
    """Check a DaemonSet's fields and types; returns the unknown-field warnings (none if ``strict``)."""
    try:
        from kubernetes.client import models  # lazy: importing the client takes ~0.2 s
    except ImportError:  # pragma: no cover - kubernetes is a dependency of rollsim
        raise ManifestError("checking fields needs the kubernetes Python client: pip install kubernetes",
                            file=where.file) from None
    checker = _FieldChecker(models, where, strict)
    checker.check(data, "V1DaemonSet", "", "")
    return tuple(checker.warnings)


@functools.cache
def _model_fields(models: ModuleType, type_name: str) -> dict[str, str] | None:
    """JSON field name -> client type of a ``kubernetes.client.models`` class, or None."""
    model = getattr(models, type_name, None)
    if model is None or not hasattr(model, "openapi_types"):
        return None
    return {model.attribute_map[attr]: t for attr, t in model.openapi_types.items()}


class _FieldChecker:
    """Walks data against the client's models: unknown fields and wrong types, with full paths."""

    def __init__(self, models: ModuleType, where: Where, strict: bool) -> None:
        self.models, self.where, self.strict = models, where, strict
        self.warnings: list[str] = []

    def check(self, value: Any, t: str, path: str, at: str) -> None:
        if value is None:  # null is "not set" for every field
            return
        if t.startswith("List["):
            if not isinstance(value, list):
                raise self.where.error(path, f"must be a list, got {describe(value)}", at)
            for i, item in enumerate(value):
                self.check(item, t[5:-1], f"{path}[{i}]", f"{at}[{i}]")
        elif t.startswith("Dict[str, "):
            if not isinstance(value, dict):
                raise self.where.error(path, f"must be a mapping, got {describe(value)}", at)
            for key, item in value.items():
                self.check(item, t[10:-1], f"{path}[{key}]", f"{at}.{key}")
        elif (fields := _model_fields(self.models, t)) is not None:
            self._object(value, t, fields, path, at)
        else:
            problem = _scalar_problem(value, t)
            if problem:
                raise self.where.error(path, problem, at)

    def _object(self, value: Any, t: str, fields: dict[str, str], path: str, at: str) -> None:
        if not isinstance(value, dict):
            raise self.where.error(path, f"must be a mapping (an object with fields), got {describe(value)}", at)
        for key, item in value.items():
            child, child_at = join(path, key), join(at, key)
            field_type = fields.get(key)
            if field_type is None:
                near = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.75)
                error = self.where.error(child, "unknown field" + (f" (did you mean {near[0]!r}?)" if near else ""),
                                         child_at)
                if self.strict:
                    raise error
                self.warnings.append(str(error))
                continue
            if (t, key) in _QUANTITY_FIELDS:
                field_type = "Dict[str, quantity]" if field_type.startswith("Dict") else "quantity"
            elif (t, key) in _INT32_FIELDS and field_type == "int":
                field_type = "int32"
            self.check(item, field_type, child, child_at)


def _scalar_problem(value: Any, t: str) -> str | None:
    """What is wrong with a scalar for client type ``t``, as the API server's decoder sees it."""
    if t == "str":
        if isinstance(value, str):
            return None
        quote = " (quote it in YAML)" if isinstance(value, (bool, int, float)) else ""
        return f"must be a string, got {describe(value)}{quote}"
    if t in ("int", "int32"):
        given = value  # 1e308 is said as written (1e+308), not as its 309 digits
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            bits, most = (32, INT32_MAX) if t == "int32" else (64, MAX_INT64)
            return None if -most - 1 <= value <= most else f"is out of range for an int{bits}, got {written(given)}"
        return f"must be an integer, got {describe(value)}"
    if t == "bool":
        return None if isinstance(value, bool) else f"must be true or false, got {describe(value)}"
    if t == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else f"must be a number, got {describe(value)}"
    if t in ("datetime", "date", "bytes"):
        return None if isinstance(value, str) else f"must be a string, got {describe(value)}"
    if t == "quantity":
        try:
            parse_quantity(value)
        except ValueError as exc:
            return str(exc)
    return None  # 'object' (IntOrString, free-form fields) takes anything
