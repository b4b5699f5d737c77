"""The simulated cluster in SimPy: API server, node store, kubelets, scheduler, registry, informers, churn."""
