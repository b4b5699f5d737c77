"""Experiments: scenarios swept over replications on an executor, aggregated, judged by an SLO, saved."""
