"""The documentation site: generated from the code, complete, and its examples run.

TensorFlow, torch and Keras are imported only in subprocesses (the suite's rule), so
everything that imports the public modules runs through ``run_python``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO, SiteBuild, run_python

DOCS = REPO / "docs"
EXT = DOCS / "_ext"
sys.path.insert(0, str(EXT))

# The docs extra (Sphinx, numpydoc...) is in the 3.11 test venv; the matrix legs skip.
pytest.importorskip("docutils")
pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")

import seedpool_docs  # noqa: E402  (docs/_ext; imports only sphinx + docutils at top)

# Fenced blocks whose body is a doctest session: ```python / ```pycon / ```{doctest}.
_FENCE = re.compile(r"^```(?:python|pycon|py|\{doctest\})[^\n]*\n(.*?)^```\s*$", re.M | re.S)


def _pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts and "_generated" not in p.parts)


def _sessions(page: Path) -> list[str]:
    return [body for body in _FENCE.findall(page.read_text()) if body.lstrip().startswith(">>>")]


PAGES_WITH_EXAMPLES = [p for p in _pages() if _sessions(p)]

_RUNNER = textwrap.dedent(
    """
    import doctest, json, sys
    blocks = json.loads(sys.argv[1])
    parser, globs = doctest.DocTestParser(), {"__name__": "__docs__"}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for i, body in enumerate(blocks):
        test = parser.get_doctest(body, globs, f"block {i}", sys.argv[2], 0)
        runner.run(test)
        globs = test.globs          # one namespace per page, as a reader runs it
    result = runner.summarize(verbose=False)
    print(json.dumps([result.attempted, result.failed]))
    """
)


@pytest.mark.parametrize("page", PAGES_WITH_EXAMPLES, ids=[str(p.relative_to(DOCS)) for p in PAGES_WITH_EXAMPLES])
def test_page_examples_run(page: Path):
    # Each page runs in a fresh interpreter: its examples may start pools or import a framework.
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, json.dumps(_sessions(page)), str(page)],
        capture_output=True, text=True, timeout=600, cwd=str(REPO),
        env={**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    attempted, failed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert attempted > 0
    assert failed == 0, proc.stdout[-5000:]


def test_examples_are_found_and_a_wrong_one_fails(tmp_path: Path):
    # The extractor and runner above must not pass vacuously.
    assert PAGES_WITH_EXAMPLES, "no page has a runnable example"
    page = tmp_path / "bad.md"
    page.write_text("# x\n\n```python\n>>> 1 + 1\n3\n```\n")
    blocks = _sessions(page)
    assert blocks == [">>> 1 + 1\n3\n"]
    proc = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps(blocks), str(page)],
                          capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [1, 1]


# -- the API reference ----------------------------------------------------------------------
_API_CHECK = textwrap.dedent(
    """
    import importlib, inspect, json, sys, warnings
    sys.path.insert(0, sys.argv[1])
    import seedpool_docs
    from numpydoc.docscrape import ClassDoc, FunctionDoc

    problems, listed = [], {}
    for module in seedpool_docs.available_modules():
        mod = importlib.import_module(module)
        rst = "\\n".join(seedpool_docs.api_rst(module))
        listed[module] = seedpool_docs.public_names(module)
        for name in listed[module]:
            where = f"{module}.{name}"
            if not any(line.split("::")[-1].strip() == name for line in rst.splitlines() if line.startswith(".. auto")):
                problems.append(f"{where}: not in the API reference")
            obj = getattr(mod, name)
            if not (inspect.isclass(obj) or callable(obj)):
                continue
            if not getattr(obj, "__module__", "seedpool").startswith("seedpool"):
                continue  # re-exported as it is (seedpool.joblib.delayed): its library documents it
            if not (obj.__doc__ or "").strip():
                problems.append(f"{where}: no docstring")
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                doc = ClassDoc(obj) if inspect.isclass(obj) else FunctionDoc(obj)
            problems += [f"{where}: numpydoc: {w.message}" for w in caught]
            if not doc["Summary"]:
                problems.append(f"{where}: no summary line")
            if inspect.isclass(obj) and issubclass(obj, BaseException):
                continue
            try:
                params = inspect.signature(obj).parameters
            except (TypeError, ValueError):
                continue
            documented = {n.strip().lstrip("*") for p in doc["Parameters"] + doc["Attributes"]
                          for n in p.name.split(",")}
            missing = [p for p in params if p not in ("self", "args", "kwargs", "kwds") and p not in documented]
            if missing:
                problems.append(f"{where}: parameters not in a numpydoc Parameters section: {missing}")
    print(json.dumps({"problems": problems, "listed": listed}))
    """
)


@pytest.fixture(scope="module")
def api_check() -> dict:
    out = run_python(_API_CHECK.replace("sys.argv[1]", repr(str(EXT))), env={"TF_CPP_MIN_LOG_LEVEL": "2"},
                     timeout=600)
    return json.loads(out.strip().splitlines()[-1])


def test_every_public_name_has_a_numpydoc_docstring_and_is_in_the_api_reference(api_check: dict):
    assert api_check["problems"] == []
    listed = api_check["listed"]
    assert "seedpool" in listed
    import seedpool

    assert listed["seedpool"] == list(seedpool.__all__)  # generated from __all__, in its order


def test_api_page_is_generated_from_all():
    page = (DOCS / "api.md").read_text()
    assert ".. seedpool-api::" in page
    assert "seed_everything" not in page  # no hand-kept list to drift
    # Every module a later engine adds is picked up by name.
    assert {"seedpool", "seedpool.torch", "seedpool.tensorflow", "seedpool.keras", "seedpool.joblib",
            "seedpool.dask", "seedpool.ray"} <= set(seedpool_docs.PUBLIC_MODULES)


# -- the key layout -------------------------------------------------------------------------
def test_key_layout_page_is_generated_from_the_key_module(monkeypatch: pytest.MonkeyPatch):
    from seedpool._derive import keys as _keys

    page = (DOCS / "key-layout.md").read_text()
    assert ".. seedpool-key-layout::" in page and ".. seedpool-key-constants::" in page
    rendered = "\n".join(seedpool_docs.layout_rst())
    for key in _keys.LAYOUT:
        assert key.component in rendered and f"``{key.path}``" in rendered and key.module in rendered
        assert f"``{key.path}``" not in page  # the table lives in the code, not in the page
    # A key changed in the code changes the page: nothing is cached or copied.
    changed = _keys.LAYOUT[:1] + (_keys.Key("pool task", 'root.child("jobs", call, index)', "seedpool._engines.process_pool"),)
    monkeypatch.setattr(_keys, "LAYOUT", changed)
    rendered = "\n".join(seedpool_docs.layout_rst())
    assert 'root.child("jobs", call, index)' in rendered and 'root.child("tasks", call, index)' not in rendered


def test_every_key_constant_has_a_row_in_the_layout():
    from seedpool._derive import keys as _keys

    paths = " ".join(key.path for key in _keys.LAYOUT)
    constants = {name: getattr(_keys, name) for name in _keys.__all__ if isinstance(getattr(_keys, name), str)}
    missing = {name: value for name, value in constants.items() if f'"{value}"' not in paths}
    assert missing == {}, "a key with no row in seedpool._derive.keys.LAYOUT (so not on the docs page)"
    rendered = "\n".join(seedpool_docs._constants_rst())
    assert all(repr(value) in rendered for value in constants.values())


# -- the whole site -------------------------------------------------------------------------
@pytest.mark.slow
def test_site_builds_without_warnings_shows_every_name_and_key_and_its_doctests_pass(
        tmp_path: Path, api_check: dict, built_site: SiteBuild):
    # The build is shared with tests/test_browser.py, which opens its pages (conftest.py).
    out = built_site.html
    assert built_site.returncode == 0, built_site.stderr[-5000:]
    api = (out / "api.html").read_text()
    for module, names in api_check["listed"].items():
        for name in names:
            assert f'id="{module}.{name}"' in api, f"{module}.{name} missing from api.html"
    from html import unescape

    from seedpool._derive import keys as _keys

    layout = unescape(re.sub(r"<[^>]+>", "", (out / "key-layout.html").read_text()))
    for key in _keys.LAYOUT:
        assert key.path in layout
    for figure in ("forked-draws", "schedule-dependence", "bench-ratios"):  # drawn at build time
        assert (out / "_images" / f"{figure}.png").exists(), figure
    # The pages' {doctest} blocks, as `make docs` runs them (the parsed pages are reused).
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "doctest", "-W", "--keep-going", "-n", "-q", "-d",
         str(built_site.doctrees), str(DOCS), str(tmp_path / "doctest")],
        capture_output=True, text=True, timeout=1200, cwd=str(REPO),
        env={**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = (tmp_path / "doctest" / "output.txt").read_text()
    assert "0 failures in tests" in report and re.search(r"\b[1-9]\d* tests", report), report
