"""docs/contract.md: every promise names tests, and every named test exists in the suite."""

from __future__ import annotations

import ast
import re
from functools import cache

from conftest import REPO

CONTRACT = REPO / "docs" / "contract.md"
LINK = re.compile(r"`tests/(\w+\.py)::(\w+)`")


@cache
def _tests_in(filename: str) -> frozenset[str]:
    tree = ast.parse((REPO / "tests" / filename).read_text())
    return frozenset(node.name for node in ast.walk(tree)
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_"))


def test_every_test_the_contract_names_exists():
    links = LINK.findall(CONTRACT.read_text())
    assert len(links) > 30
    missing = [f"tests/{f}::{name}" for f, name in links
               if not (REPO / "tests" / f).exists() or name not in _tests_in(f)]
    assert missing == []


def test_every_promise_row_names_a_test():
    rows = [line for line in CONTRACT.read_text().splitlines()
            if line.startswith("| ") and not line.startswith(("| what", "| engine", "|---"))]
    assert len(rows) >= 19
    assert [row for row in rows if not LINK.search(row)] == []


def test_a_wrong_link_is_caught():
    assert "test_nothing_like_this" not in _tests_in("test_pool.py")
    assert LINK.findall("see `tests/test_pool.py::test_nothing_like_this`") == [("test_pool.py",
                                                                                  "test_nothing_like_this")]


def test_the_contract_is_in_the_reference_and_the_guide_page_in_the_user_guide():
    index = (REPO / "docs" / "index.md").read_text()
    reference = index.split(":caption: Reference")[1].split("```")[0]
    guide = index.split(":caption: User guide")[1].split("```")[0]
    assert "contract" in reference.split() and "guide/fuzzing" in guide.split()
