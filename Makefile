# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ROLLSIM := $(VENV)/bin/rollsim

.PHONY: run test bench clean validate

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# The default experiment suite: results, figures and reports under results/.
EXPERIMENTS := experiments/fluentd-1000.yaml experiments/scaling.yaml experiments/min-ready-seconds.yaml \
               experiments/image-pulls.yaml experiments/bad-image.yaml experiments/not-ready-deadlock.yaml \
               experiments/node-churn.yaml experiments/surge-fit.yaml experiments/control-plane-load.yaml \
               experiments/field-openshift-854.yaml experiments/field-kube-prometheus-661.yaml \
               experiments/field-neco-1910.yaml

# Predicted against reported durations (upstream measurements and the field studies).
validate: $(VENV)/.installed
	$(ROLLSIM) validate

run: $(VENV)/.installed
	$(ROLLSIM) run $(EXPERIMENTS)

test: $(VENV)/.installed-test
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) benchmarks/scale.py
	$(PY) benchmarks/sweep.py
	$(PY) benchmarks/modes.py

clean:
	rm -rf $(VENV) build *.egg-info
