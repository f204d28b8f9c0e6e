# `make demo`, `make test` (lint + the full suite), `make test-matrix` (the core suite on
# every other Python pyenv has), `make bench`. Each builds what it needs in $(VENV).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
# A CPU build of torch: on these machines 2.13.0 installs from local disk, an unpinned
# torch would pull a multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0
# The other interpreters of the matrix (X.Y, found under pyenv; a missing one is skipped).
MATRIX_PYTHONS ?= 3.9 3.10 3.12 3.13

.PHONY: demo test test-suite test-matrix lint bench clean

$(VENV)/.base: setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $@

$(VENV)/.test: $(VENV)/.base
	$(PIP) -e '.[test,tensorflow]' '$(TORCH_PIN)'
	touch $@

# mypy checks seedpool/torch.py against torch's own annotations: after .test.
$(VENV)/.lint: $(VENV)/.test
	$(PIP) -e '.[lint]'
	touch $@

demo: $(VENV)/.base
	$(VENV)/bin/seedpool demo

# ruff (rules and why: pyproject.toml [tool.ruff]) and mypy (default mode, whole package).
lint: $(VENV)/.lint
	$(PY) -m ruff check .
	$(PY) -m mypy

test: lint test-suite

test-suite: $(VENV)/.test
	$(PY) -m pytest $(PYTEST_ARGS)

# Each X.Y in its own .venv-X.Y with base + test dependencies only (no TF / torch).
test-matrix:
	MATRIX_PYTHONS="$(MATRIX_PYTHONS)" PYTEST_ARGS="$(PYTEST_ARGS)" .ci/matrix

bench: $(VENV)/.test
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .venv-* build *.egg-info .mypy_cache .ruff_cache
