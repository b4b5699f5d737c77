"""Node lists: read ``kubectl get nodes -o json``, generate realistic ones, build node pools.

Three ways to the ``tuple[Node, ...]`` a rollout runs on (``rollsim.spec.node.Node``):

* ``load_nodes`` (``kubectl``): a real cluster's nodes, as ``kubectl get nodes -o json`` (or
  ``-o yaml``) prints them. Only what the DaemonSet controller and the scheduler read is kept:
  name, labels, taints, ``spec.unschedulable``, the Ready condition and allocatable cpu/memory.
* ``make_nodes`` / ``write_nodes_json`` (``generate``): such a document for N nodes of a
  kOps-style cluster on EC2, tainted the way kubeadm (control plane), the node lifecycle
  controller (NotReady) and ``kubectl cordon`` taint nodes.
* ``nodes_from_pools`` (``pools``): nodes from a few pool descriptions in a scenario file.

What a Node object and a pool share (labels, taints, allocatable quantities, read with
``rollsim.spec.quantity``) is checked in ``fields``.
"""

from rollsim.io.nodes.generate import NodeOptionError, make_nodes, nodes_json, write_nodes_json
from rollsim.io.nodes.kubectl import load_nodes, nodes_from_document
from rollsim.io.nodes.pools import PoolError, nodes_from_pools

__all__ = ["NodeOptionError", "PoolError", "load_nodes", "make_nodes", "nodes_from_document", "nodes_from_pools",
           "nodes_json", "write_nodes_json"]
