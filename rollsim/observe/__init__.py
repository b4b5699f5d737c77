"""Watching a run: the recorder, ``kubectl rollout status``, the stall watchdog, and the metrics."""
