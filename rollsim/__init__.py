"""rollsim: a discrete-event simulator of Kubernetes DaemonSet updates."""

from rollsim.spec.scenario import (
    ControllerSettings,
    DaemonSetSpec,
    ReadinessProbe,
    Scenario,
    Timings,
    UpdateStrategy,
)
from rollsim.spec.options import build_scenario
from rollsim.simulation import RunResult, simulate

__all__ = [
    "simulate",
    "RunResult",
    "Scenario",
    "DaemonSetSpec",
    "UpdateStrategy",
    "ReadinessProbe",
    "Timings",
    "ControllerSettings",
    "build_scenario",
    "plan",
]
__version__ = "0.1.0"

# ``rollsim.plan(...)`` is the plan function; it shadows the subpackage's name on purpose
# (the subpackage stays importable as ``rollsim.plan.<module>``).
from rollsim.plan import plan  # noqa: E402
