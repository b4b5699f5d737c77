"""Read an apps/v1 DaemonSet manifest into a ``DaemonSetSpec``, checked as Kubernetes checks it.

Takes what ``kubectl apply -f`` takes and what ``kubectl get ds NAME -o yaml`` (or ``-o json``)
prints: one object, several YAML documents, or a ``List``; server-written fields (status,
managedFields, resourceVersion, uid, annotations...) are accepted and ignored. Three passes,
each stopping at the first error, and every error is one line, ``file:line: field.path: rule``:

1. YAML, read safely with the line of every key (syntax errors give line, column and cause):
   ``documents``; then the objects, a ``List``'s items and the DaemonSet chosen: ``objects``.
2. Fields and types, walked against the ``kubernetes`` client's models as kubectl's strict
   field validation does: an unknown field is a warning (all are collected) or, with
   ``strict=True``, an error; a value of the wrong type is always an error, as the API
   server's decoder rejects it. IntOrString fields accept an int or a string: ``fields``.
3. Values after the API defaults (``SetDefaults_DaemonSet``, pod defaults), as
   ``ValidateDaemonSetSpec``, ``ValidateRollingUpdateDaemonSet`` and the pod-template rules
   that matter to a rollout check them: ``validation``, ``pod`` and ``resources`` (the pod's
   effective requests, ``PodRequests``), assembled by ``spec``.

``load`` runs the passes; errors and their one-line form are in ``errors``.
"""

from rollsim.io.manifest.errors import ManifestError
from rollsim.io.manifest.load import LoadedDaemonSet, load_daemonset, load_daemonset_text

__all__ = ["LoadedDaemonSet", "ManifestError", "load_daemonset", "load_daemonset_text"]
