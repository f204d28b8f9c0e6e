# Two commands: `make demo` and `make test`. Each builds what it needs in $(VENV).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
# A CPU build of torch: on these machines 2.13.0 installs from local disk, an unpinned
# torch would pull a multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0

.PHONY: demo test test-ray bench docs wheel-check clean

$(VENV)/.base: setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $@

$(VENV)/.test: $(VENV)/.base
	$(PIP) -e '.[test,tensorflow,joblib,dask,ray]' '$(TORCH_PIN)'
	touch $@

# Ray is in the test venv (its tests run in `make test`); this target runs them alone.
$(VENV)/.ray: $(VENV)/.test
	touch $@

demo: $(VENV)/.base
	$(VENV)/bin/seedpool demo

test: $(VENV)/.test
	$(PY) -m pytest $(PYTEST_ARGS)

$(VENV)/.docs: $(VENV)/.test
	$(PIP) -e '.[docs]'
	touch $@

# The site, warnings as errors (nitpicky cross-references), then the pages' {doctest}
# blocks; the pages' plain >>> examples run in tests/test_docs.py (make test).
SPHINX := $(PY) -m sphinx -W --keep-going -n
docs: $(VENV)/.docs
	$(SPHINX) -b html docs docs/_build/html
	$(SPHINX) -b doctest docs docs/_build/doctest

# Build the sdist and wheel, twine-check them, install the wheel into a fresh venv and
# run `seedpool demo` and the import-hygiene test from it (not from the checkout).
wheel-check: $(VENV)/.base
	$(PIP) 'build>=1' 'twine>=5'
	.ci/wheel_check.sh $(PY)

test-ray: $(VENV)/.ray
	$(PY) -m pytest tests/test_ray.py $(PYTEST_ARGS)

bench: $(VENV)/.test
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build docs/_generated
