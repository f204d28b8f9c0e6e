# Two commands: `make demo` and `make test`. Each builds what it needs in $(VENV).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
# A CPU build of torch: on these machines 2.13.0 installs from local disk, an unpinned
# torch would pull a multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0

.PHONY: demo test bench clean cpython-tests

$(VENV)/.base: setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $@

$(VENV)/.test: $(VENV)/.base
	$(PIP) -e '.[test,tensorflow]' '$(TORCH_PIN)'
	touch $@

demo: $(VENV)/.base
	$(VENV)/bin/seedpool demo

test: $(VENV)/.test cpython-tests
	$(PY) -m pytest $(PYTEST_ARGS)

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

bench: $(VENV)/.test
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
