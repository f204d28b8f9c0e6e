#!/usr/bin/env bash
# Release hygiene: build the sdist and the wheel, `twine check` them, install the WHEEL
# (not the checkout) into a fresh venv, and from there run `seedpool demo` and the
# import-hygiene check. Usage: .ci/wheel_check.sh [PYTHON]   (PYTHON has build + twine)
# Extra pip arguments for the fresh venv (e.g. an index mirror): WHEEL_CHECK_PIP_ARGS.
set -euo pipefail
PY=${1:-python3}
cd "$(dirname "$0")/.."
repo=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== build sdist + wheel"
"$PY" -m build --outdir "$tmp/dist" . > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
ls "$tmp/dist"
echo "== twine check"
"$PY" -m twine check --strict "$tmp"/dist/*

wheel=$(ls "$tmp"/dist/seedpool-*.whl)
echo "== the wheel holds the package, its py.typed and the console script, and no tests"
"$PY" - "$wheel" <<'PYCODE'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
assert "seedpool/__init__.py" in names and "seedpool/py.typed" in names, names
assert not [n for n in names if n.startswith(("tests/", "docs/", "benchmarks/"))], names
entry = [n for n in names if n.endswith("entry_points.txt")]
assert entry, "no entry_points.txt"
PYCODE

echo "== fresh venv with the wheel"
"$PY" -m venv "$tmp/venv"
# shellcheck disable=SC2086
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check ${WHEEL_CHECK_PIP_ARGS:-} "$wheel"

cd "$tmp"   # away from the checkout: `import seedpool` must find the installed wheel
echo "== import hygiene (from the wheel)"
"$tmp/venv/bin/python" - "$tmp/venv" "$repo" <<'PYCODE'
import sys
venv, repo = sys.argv[1], sys.argv[2]
import seedpool
assert seedpool.__file__.startswith(venv), f"seedpool imported from {seedpool.__file__}, not the wheel"
seedpool.seed_everything(1)
heavy = sorted(m for m in sys.modules
               if m.split(".")[0] in ("tensorflow", "torch", "keras", "multiprocess", "dill", "jax",
                                      "joblib", "dask", "distributed", "ray"))
assert not heavy, f"import seedpool loaded {heavy}"
print("import seedpool", seedpool.__version__, "loads stdlib + numpy only:", seedpool.__file__)
PYCODE
echo "== seedpool demo (from the wheel)"
"$tmp/venv/bin/seedpool" demo > "$tmp/demo.txt"
cat "$tmp/demo.txt"
grep -q "ok    seedpool.Pool: identical for every schedule" "$tmp/demo.txt"
echo "wheel check: OK"
