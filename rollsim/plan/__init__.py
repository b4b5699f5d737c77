"""``rollsim plan``: the fastest safe update setting for a DaemonSet, searched by simulation.

The question before ``kubectl set image``: which maxUnavailable / maxSurge /
minReadySeconds finishes within the maintenance window without dropping below the
availability floor or beyond the spare capacity, and how sure is that? The modules, in
the order a plan uses them:

* ``constraints``: the floor, the window, the surge budget, the allowed minReadySeconds;
* ``candidates``: a setting, its percent form and its ``kubectl patch``;
* ``evaluate``: replications of settings with common random numbers on an executor;
* ``evidence``: a setting's statistics and the window verdict (a normal tolerance bound that screens, each
  look at a share of the confidence; the answer's, distribution-free over 59 runs);
* ``pace``: whether one setting is as fast as another (paired, with a confidence bound);
* ``stalls``: a family's stall risk, its runs pooled (a Clopper–Pearson bound);
* ``bisect`` and ``search``: the monotone search over budgets;
* ``answer``: the one choice rule, and why the others lost;
* ``relax``: when nothing fits, the binding constraint and what relaxing each one gives;
* ``document``: plan.json's document and candidates.csv's rows, as plain data;
* ``run``: ``plan``, which ties them together and writes the plan folder.
"""

import sys
import types
from typing import Any

from rollsim.plan.candidates import Setting
from rollsim.plan.constraints import Constraints
from rollsim.plan.run import PlanResult, plan
from rollsim.plan.search import SearchSettings

__all__ = ["Constraints", "PlanResult", "SearchSettings", "Setting", "plan"]


class _CallablePackage(types.ModuleType):
    """``rollsim.plan`` names both the function and this package: importing the package
    (``from rollsim.plan import Constraints``) makes the attribute ``rollsim.plan`` the
    package, so the package, called, is the function.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> PlanResult:
        return plan(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
