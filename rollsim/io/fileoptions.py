"""The input files' options, declared once: each option's name (the CLI flag without dashes) and
its key path in an experiment's ``scenario`` section.

``rollsim.io.inputs`` reads them, ``rollsim.io.live`` names ``daemonset.manifest`` in its errors
about ``ds/NAME``, and the CLI and experiment files map a key to its flag or line. A module of its
own so that both import it (``rollsim.io.inputs`` imports ``rollsim.io.live``).
"""

from __future__ import annotations

__all__ = ["FILE_OPTIONS"]

# option -> its key path in a scenario section ("timings" given as a string is a profile)
FILE_OPTIONS = {
    "manifest": "daemonset.manifest",
    "strict": "daemonset.strict",
    "nodes_file": "cluster.nodes_file",
    "pools": "cluster.pools",
    "timings_file": "timings",
}
