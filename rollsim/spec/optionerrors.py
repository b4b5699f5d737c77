"""The errors of scenario options: ``OptionError`` and the three that offer ``allow_no_nodes``.

``rollsim.spec.options`` (which re-exports them) and ``rollsim.spec.startstate`` raise them;
the CLI and experiment files turn them into one line naming the flag or key and its rule.
"""

from __future__ import annotations

__all__ = ["OptionError", "NoNodeError", "EmptyClusterError", "AllNotReadyError", "UnknownOptionsError"]


class OptionError(ValueError):
    """A bad option value; ``options`` names the option(s) whose rule it breaks.

    ``within`` is where inside the one option's value the broken rule is, when the value is a
    list of mappings (``also``: ``[0].max_unavailable``), and ``rule`` the message about that
    place alone: an experiment file names that key and its line instead of the whole list's.
    """

    def __init__(self, options: str | tuple[str, ...], message: str, within: str = "",
                 rule: str | None = None) -> None:
        self.options = (options,) if isinstance(options, str) else options
        self.message = message
        self.within = within
        self.rule = message if rule is None else rule
        super().__init__(message)

    def __str__(self) -> str:
        """The message after the option(s) it is about (``node_utilization: must be ...``), as a
        Python caller reads it; the CLI and experiment files name the flag or key from ``options``
        and print ``message``.
        """
        return f"{', '.join(self.options)}: {self.message}" if self.options else self.message


class UnknownOptionsError(OptionError):
    """Options ``build_scenario`` does not know: the message names them already."""

    def __str__(self) -> str:
        return self.message


class NoNodeError(OptionError):
    """The DaemonSet matches no node of a cluster that has some; ``why`` says what keeps it off
    them. The message offers ``allow_no_nodes``, the way to say an empty rollout is meant
    (``rollsim plan``, which has nothing to search then, says its own).
    """

    def __init__(self, options: str | tuple[str, ...], why: str) -> None:
        self.why = why
        super().__init__(options, f"the DaemonSet matches no node ({why}); fix its nodeSelector, affinity or "
                                  "tolerations, or set daemonset.allow_no_nodes (--allow-no-nodes) if that is intended")


class EmptyClusterError(OptionError):
    """The cluster has no nodes (a count of 0), so the rollout would "complete" at once. The
    message offers ``allow_no_nodes``, as ``NoNodeError``'s does (``rollsim plan``, which has
    no such flag and nothing to search then, says its own).
    """

    def __init__(self, options: str | tuple[str, ...]) -> None:
        super().__init__(options, "the cluster has no nodes, so the DaemonSet runs no pod and its rollout would "
                                  "complete at once; give it nodes, or set daemonset.allow_no_nodes (--allow-no-nodes) "
                                  "if that is intended")


class AllNotReadyError(OptionError):
    """Every one of the ``count`` nodes that hold the DaemonSet's old pod is NotReady (and no node
    that joins runs it), so the rollout has no node to update and would "complete" at once with
    the old pods left as they are. The message offers ``allow_no_nodes``, as ``NoNodeError``'s does
    (``rollsim plan``, which has no such flag and nothing to search then, says its own).
    """

    def __init__(self, options: str | tuple[str, ...], count: int) -> None:
        self.count = count
        every = "the only node that holds the DaemonSet's old pod is" if count == 1 else \
            f"all {count:,} nodes that hold the DaemonSet's old pod are"
        super().__init__(options, f"{every} NotReady, so it has no node to update and its rollout would complete at "
                                  "once with nothing updated; leave some nodes Ready, or set daemonset.allow_no_nodes "
                                  "(--allow-no-nodes) if that is intended")
