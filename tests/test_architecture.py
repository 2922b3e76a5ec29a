"""The structure holds: layers one way, no import circles, kinds as independent peers, and
no kind named outside its own package and the registry (docs/architecture.md)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "stuntsim"


def test_import_contracts_hold():
    # pyproject.toml [tool.importlinter]: the layers and the kinds' independence
    beside = Path(sys.executable).with_name("lint-imports")  # a venv used unactivated
    linter = shutil.which("lint-imports") or (str(beside) if beside.exists() else None)
    if linter is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    proc = subprocess.run([linter], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]
    assert "0 broken" in proc.stdout


def test_no_kind_is_named_outside_the_kinds():
    # shared layers reach a kind through stuntsim.kinds.kind_of, never by its name
    pattern = re.compile(r"""(kind\s*[!=]=\s*["'](car|train)["']|kinds\.(car|train)\b)""")
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.is_relative_to(PACKAGE / "kinds"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if pattern.search(line.split("#")[0]):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_no_module_is_a_sprawl():
    # one concern per module: about 600 lines at most, unless it is one coherent thing
    # (listed with the reason)
    coherent = {
        "stuntsim/risk/subset.py": "the estimator, its diagnostics and its long record of "
                                   "what was tried",
        "stuntsim/kinds/car/dynamics.py": "the single-track model's equations E1–E14",
        "stuntsim/kinds/car/figures.py": "the car's figures",
        "stuntsim/kinds/car/monitors.py": "the car's hazard monitors",
        "stuntsim/geometry/distance.py": "the distance-field engine",
        "stuntsim/geometry/visibility.py": "sight lines",
        "stuntsim/kinds/train/model.py": "the train's batched run",
    }
    long = []
    for path in PACKAGE.rglob("*.py"):
        name = str(path.relative_to(ROOT))
        lines = len(path.read_text().splitlines())
        if lines > 600 and name not in coherent:
            long.append(f"{name}: {lines} lines")
    assert long == []
