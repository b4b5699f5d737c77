# The two commands of the README: `make run` and `make test` (`make test-slow`: the fault tests; `make lint`).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ROLLSIM := $(VENV)/bin/rollsim

.PHONY: run test test-slow test-native lint bench native clean validate

# tools/venv.sh fills the environment with uv where it can (much faster on a fresh machine), else pip.
$(VENV)/.installed: pyproject.toml
	sh tools/venv.sh $(VENV) $(PYTHON) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	sh tools/venv.sh $(VENV) $(PYTHON) -e '.[test]'
	touch $@

$(VENV)/.installed-native: $(VENV)/.installed
	sh tools/venv.sh $(VENV) $(PYTHON) -e '.[native]'
	touch $@

# The simulation core compiled to C with mypyc (about 2 minutes, needs gcc): build/native, a
# copy of the package; run against it with PYTHONPATH=build/native. Rebuilt when a source changes.
NATIVE := build/native
$(NATIVE)/.built: $(VENV)/.installed-native $(shell find rollsim -name '*.py')
	$(PY) tools/native.py --dest $(NATIVE)
	touch $@

native: $(NATIVE)/.built

# The default experiment suite: results, figures and reports under results/.
EXPERIMENTS := experiments/fluentd-1000.yaml experiments/scaling.yaml experiments/min-ready-seconds.yaml \
               experiments/image-pulls.yaml experiments/bad-image.yaml experiments/not-ready-deadlock.yaml \
               experiments/node-churn.yaml experiments/surge-fit.yaml experiments/control-plane-load.yaml \
               experiments/field-openshift-854.yaml experiments/field-kube-prometheus-661.yaml \
               experiments/field-neco-1910.yaml experiments/old-pods-unready.yaml experiments/clock-skew.yaml \
               experiments/disk-pressure.yaml

# Predicted against reported durations (upstream measurements and the field studies).
validate: $(VENV)/.installed
	$(ROLLSIM) validate

run: $(VENV)/.installed
	$(ROLLSIM) run $(EXPERIMENTS)

# ruff and mypy first: a lint error fails the tests as a failing test would.
test: $(VENV)/.installed-test
	$(PY) -m ruff check rollsim tests benchmarks experiments tools
	$(PY) -m mypy
	$(PY) -m pytest

# The suite against the native build (every test but those that patch or subclass a compiled
# module, marked pure); the pytest script, not `python -m`, so the source tree is not first on the path.
NATIVE_TESTS ?=
test-native: $(VENV)/.installed-test $(NATIVE)/.built
	ROLLSIM_NATIVE_EXPECTED=1 PYTHONPATH=$(NATIVE) $(VENV)/bin/pytest -m 'not slow and not pure' $(NATIVE_TESTS)

# Tests marked slow: real processes killed mid-sweep, Dask clusters that go away.
test-slow: $(VENV)/.installed-test
	$(PY) -m pytest -m slow

lint: $(VENV)/.installed-test
	$(PY) -m ruff check rollsim tests benchmarks experiments tools
	$(PY) -m mypy

# Issue 12's figures and goals in one run, the pure package and the native build side by side
# (the 1M-node rollouts alone take minutes); a quick run: make bench SIZES=1000,10000
SIZES ?=
bench: $(VENV)/.installed $(NATIVE)/.built
	$(PY) benchmarks/bench.py $(if $(SIZES),--sizes $(SIZES)) --native $(NATIVE)
	$(PY) benchmarks/modes.py

clean:
	rm -rf $(VENV) build *.egg-info
