"""The SimPy-free scenario: settings, budgets, quantities, nodes and eligibility, distributions, streams."""
