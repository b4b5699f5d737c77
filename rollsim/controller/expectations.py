"""Mirrors ``ControllerExpectations`` (pkg/controller/controller_utils.go) for one DaemonSet."""

from __future__ import annotations

__all__ = ["Expectations", "EXPECTATIONS_TIMEOUT"]

EXPECTATIONS_TIMEOUT = 300.0  # ExpectationsTimeout = 5 * time.Minute


class Expectations:
    """Counts of creates and deletes the controller has issued but not yet seen.

    Satisfied when both counts are ≤ 0, when no record exists, or when the record is
    older than ``timeout``. ``set`` replaces the previous record, as ``SetExpectations`` does.
    """

    __slots__ = ("timeout", "_add", "_del", "_set_at")

    def __init__(self, timeout: float = EXPECTATIONS_TIMEOUT) -> None:
        self.timeout = timeout
        self._add = 0
        self._del = 0
        self._set_at: float | None = None

    def set(self, add: int, delete: int, now: float) -> None:
        """Mirrors ``SetExpectations``: expect ``add`` creations and ``delete`` deletions from ``now``."""
        self._add, self._del, self._set_at = add, delete, now

    def clear(self) -> None:
        """Mirrors ``DeleteExpectations``: forget the record."""
        self._add, self._del, self._set_at = 0, 0, None

    def creation_observed(self) -> None:
        """Mirrors ``CreationObserved``: one expected creation was seen."""
        self._add -= 1

    def deletion_observed(self) -> None:
        """Mirrors ``DeletionObserved``: one expected deletion was seen."""
        self._del -= 1

    def lower(self, add: int = 0, delete: int = 0) -> None:
        """Mirrors ``LowerExpectations``: creations or deletions that failed will never be seen."""
        self._add -= add
        self._del -= delete

    def satisfied(self, now: float) -> bool:
        """Mirrors ``SatisfiedExpectations``: whether a sync may manage pods now."""
        if self._set_at is None:
            return True
        if self._add <= 0 and self._del <= 0:
            return True
        return now - self._set_at > self.timeout

    @property
    def pending(self) -> tuple[int, int]:
        """Mirrors ``GetExpectations``: the creations and deletions still expected."""
        return self._add, self._del
