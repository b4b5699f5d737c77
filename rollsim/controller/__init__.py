"""A mirror of ``pkg/controller/daemon``: the DaemonSet controller's sync, node classes and decisions."""
