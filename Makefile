# `make demo`, `make test` (lint + the full suite), `make test-matrix` (the core suite on
# every other Python pyenv has), `make bench`. Each builds what it needs in $(VENV);
# `make test` also installs Debian's Chromium for the docs' browser check (`make browser`).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
# A CPU build of torch: on these machines 2.13.0 installs from local disk, an unpinned
# torch would pull a multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0
# The other interpreters of the matrix (X.Y, found under pyenv; a missing one is skipped).
MATRIX_PYTHONS ?= 3.9 3.10 3.12 3.13

# Python run by make writes bytecode caches (__pycache__, gitignored) whatever the
# caller's PYTHONDONTWRITEBYTECODE says: the suite starts hundreds of interpreters, and
# with the caches off each one compiles seedpool, the tests' helpers and (after the
# --no-compile install below) every library it imports from source again -- 15 % of
# a matrix leg's CPU here, and 15 s per `import tensorflow, torch`.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test test-suite test-matrix test-ray lint bench docs wheel-check clean cpython-tests browser fuzz test-release

$(VENV)/.base: setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $@

# Everything `make test`, `make lint` and `make docs` need, in ONE pip run (the base
# install included: it then counts as done): each extra pip run re-resolves the whole
# (TF, torch, Ray...) environment and rebuilds the editable install, about half a
# minute apiece on a loaded CI box. --no-compile: pip would byte-compile all ~17,000
# modules of these packages one by one (half of the install's three minutes here);
# the modules the suite imports are compiled, and cached, on first import instead.
$(VENV)/.test: setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) --no-compile -e '.[test,tensorflow,joblib,dask,ray,docs,lint]' '$(TORCH_PIN)'
	touch $@ $(VENV)/.base

# Ray is in the test venv (its tests run in `make test`); this target runs them alone.
$(VENV)/.ray: $(VENV)/.test
	touch $@

demo: $(VENV)/.base
	$(VENV)/bin/seedpool demo

# ruff (rules and why: pyproject.toml [tool.ruff]) and mypy (default mode, whole package;
# it checks seedpool/torch/ against torch's own annotations, so it needs the .test venv).
lint: $(VENV)/.test
	$(PY) -m ruff check .
	$(PY) -m mypy

test: lint test-suite

test-suite: $(VENV)/.test browser cpython-tests
	$(PY) -m pytest $(PYTEST_ARGS)

# What `make test` leaves out for time (tests marked `release`: a world size of 8 on two
# cores, a resume on a third world size), for a release; `make fuzz` is the fuzzer's.
test-release: $(VENV)/.test
	$(PY) -m pytest -m release $(PYTEST_ARGS)

# Each X.Y in its own .venv-X.Y with base + test dependencies only (no TF / torch).
test-matrix:
	MATRIX_PYTHONS="$(MATRIX_PYTHONS)" PYTEST_ARGS="$(PYTEST_ARGS)" .ci/matrix


# The site, warnings as errors (nitpicky cross-references), then the pages' {doctest}
# blocks; the pages' plain >>> examples run in tests/test_docs.py (make test).
SPHINX := $(PY) -m sphinx -W --keep-going -n
docs: $(VENV)/.test
	$(SPHINX) -b html docs docs/_build/html
	$(SPHINX) -b doctest docs docs/_build/doctest

# Build the sdist and wheel, twine-check them, install the wheel into a fresh venv and
# run `seedpool demo` and the import-hygiene test from it (not from the checkout).
wheel-check: $(VENV)/.base
	$(PIP) 'build>=1' 'twine>=5'
	.ci/wheel_check.sh $(PY)

# The release fuzz run: tests/test_fuzz.py with ten times the schedules of `make test`
# (every engine, every nesting pair, Dask and Ray, the planted bugs and the keyed corpus).
FUZZ_SCALE ?= 10
fuzz: $(VENV)/.test
	SEEDPOOL_FUZZ_SCALE=$(FUZZ_SCALE) $(PY) -m pytest tests/test_fuzz.py $(PYTEST_ARGS)

test-ray: $(VENV)/.ray
	$(PY) -m pytest tests/test_ray.py tests/test_ray_native.py $(PYTEST_ARGS)

# CPython's concurrent.futures tests for tests/cpython_futures_suite.py, never copied into
# the repository: used from this Python's own `test` package when it has them, else
# unpacked from Debian's libpython3.X-testsuite (apt-get download, no install) into
# $(CPYTHON_TESTS)/3.X. Best effort: without them that test is skipped.
CPYTHON_TESTS ?= .cache/cpython-tests
cpython-tests: $(VENV)/.base
	@v=$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	d=$(CPYTHON_TESTS)/$$v; \
	if $(PY) -c 'import test.test_concurrent_futures' 2>/dev/null || [ -e $$d/test_concurrent_futures.py ] || [ -d $$d/test_concurrent_futures ]; then exit 0; fi; \
	mkdir -p $$d/deb && ( cd $$d/deb && apt-get download libpython$$v-testsuite >/dev/null 2>&1 && \
	  dpkg-deb -x libpython$$v-testsuite_*.deb x && \
	  cp -r x/usr/lib/python$$v/test/test_concurrent_futures* .. ) && rm -rf $$d/deb \
	  || echo "cpython-tests: could not fetch libpython$$v-testsuite; tests/test_cpython_futures.py will skip"

# Each benchmark also records its tables in benchmarks/results.json (benchmarks/_common.py),
# from which the docs' performance figure is drawn: commit the file after a run.
bench: $(VENV)/.test
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Debian's Chromium and chromedriver, for tests/test_browser.py (every docs page opened in
# a real headless browser; Selenium, from the docs extra, is given their paths and never
# downloads one). Installed with apt-get when missing and we are root; best effort:
# without them that test skips -- unless SEEDPOOL_REQUIRE_BROWSER is set (CI sets it), then
# it fails. Before cpython-tests in `make test`: on a fresh machine its `apt-get download`
# then finds the package lists this target updated.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "browser: no chromium/chromedriver and not root: tests/test_browser.py will skip" \
	       "(apt-get install chromium chromium-driver)"; exit 0; fi; \
	echo "browser: installing Debian's chromium and chromium-driver (apt-get)"; \
	( apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends chromium chromium-driver ) >/dev/null 2>&1 \
	  || echo "browser: apt-get could not install them: tests/test_browser.py will skip"

clean:
	rm -rf $(VENV) .venv-* build dist *.egg-info .mypy_cache .ruff_cache docs/_build docs/_generated
