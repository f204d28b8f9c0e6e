# Two commands: `make demo` and `make test`. Each builds what it needs in $(VENV).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
# A CPU build of torch: on these machines 2.13.0 installs from local disk, an unpinned
# torch would pull a multi-GB CUDA build.
TORCH_PIN ?= torch==2.13.0

.PHONY: demo test test-ray bench clean

$(VENV)/.base: setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $@

$(VENV)/.test: $(VENV)/.base
	$(PIP) -e '.[test,tensorflow,dask]' '$(TORCH_PIN)'
	touch $@

# Ray (~240 MB installed, ~730 MiB and 3-8 s to start) is not in `make test`'s venv, so
# tests/test_ray.py skips there; this installs it and runs the Ray tests alone.
$(VENV)/.ray: $(VENV)/.test
	$(PIP) -e '.[ray]'
	touch $@

demo: $(VENV)/.base
	$(VENV)/bin/seedpool demo

test: $(VENV)/.test
	$(PY) -m pytest $(PYTEST_ARGS)

test-ray: $(VENV)/.ray
	$(PY) -m pytest tests/test_ray.py $(PYTEST_ARGS)

bench: $(VENV)/.ray
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
