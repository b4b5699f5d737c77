"""The syntax of label keys and values, as the API server validates them.

Mirrors ``IsQualifiedName`` and ``IsValidLabelValue`` (k8s.io/apimachinery
pkg/util/validation), which ``ValidateLabels`` applies to a pod's ``nodeSelector`` and
``ValidateNodeSelectorRequirement`` to a required node affinity's ``matchExpressions`` (keys,
and the values of ``In``/``NotIn``). A manifest that breaks them is one ``kubectl apply``
refuses; read without the check, an invalid ``NotIn`` value matched every node.
"""

from __future__ import annotations

import re

__all__ = ["DNS_LABEL_MAX", "DNS_LABEL_PATTERN", "DNS_LABEL_RULE", "DNS_SUBDOMAIN_MAX", "DNS_SUBDOMAIN_PATTERN",
           "DNS_SUBDOMAIN_RULE", "is_dns_label", "is_dns_subdomain", "label_key_problem", "label_value_problem"]

_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]", re.ASCII)  # qualifiedNameFmt
DNS_LABEL_PATTERN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"  # dns1123LabelFmt (also the JSON schema's, rollsim.spec.kinds)
DNS_SUBDOMAIN_PATTERN = rf"{DNS_LABEL_PATTERN}(\.{DNS_LABEL_PATTERN})*"  # dns1123SubdomainFmt
DNS_LABEL_MAX, DNS_SUBDOMAIN_MAX = 63, 253  # DNS1123LabelMaxLength, DNS1123SubdomainMaxLength
_DNS_SUBDOMAIN = re.compile(DNS_SUBDOMAIN_PATTERN, re.ASCII)
_DNS_LABEL_RE = re.compile(DNS_LABEL_PATTERN, re.ASCII)
# what the API server says of a name that is not one (after "invalid name 'x': ")
DNS_SUBDOMAIN_RULE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                      "and must start and end with an alphanumeric character (at most 253 characters)")
DNS_LABEL_RULE = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-' (at most 63)"
_NAME_MAX = 63  # qualifiedNameMaxLength, LabelValueMaxLength
_NAME_RULE = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
              "alphanumeric character")


def is_dns_subdomain(text: str) -> bool:
    """``IsDNS1123Subdomain``: a lowercase RFC 1123 subdomain of at most 253 characters (object
    names, a label key's prefix, a PriorityClass's name).
    """
    return len(text) <= DNS_SUBDOMAIN_MAX and _DNS_SUBDOMAIN.fullmatch(text) is not None


def is_dns_label(text: str) -> bool:
    """``IsDNS1123Label``: a lowercase RFC 1123 label of at most 63 characters (a namespace's name)."""
    return len(text) <= DNS_LABEL_MAX and _DNS_LABEL_RE.fullmatch(text) is not None


def label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid label key (``IsQualifiedName``: an optional DNS subdomain prefix
    and '/', then a name of at most 63 characters), or None.
    """
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return f"invalid label key {key!r}: prefix part must be non-empty"
    if prefix and not is_dns_subdomain(prefix):
        return (f"invalid label key {key!r}: prefix part must be a lowercase RFC 1123 subdomain of at most "
                f"{DNS_SUBDOMAIN_MAX} characters")
    if not name:
        return f"invalid label key {key!r}: name part must be non-empty"
    if len(name) > _NAME_MAX:
        return f"invalid label key {key!r}: name part must be no more than {_NAME_MAX} characters"
    if not _NAME.fullmatch(name):
        return f"invalid label key {key!r}: name part {_NAME_RULE}"
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a valid label value (``IsValidLabelValue``: empty, or at most 63
    characters of the name alphabet), or None.
    """
    if len(value) > _NAME_MAX:
        return f"invalid label value {value!r}: must be no more than {_NAME_MAX} characters"
    if value and not _NAME.fullmatch(value):
        return f"invalid label value {value!r}: a valid label {_NAME_RULE}"
    return None
