"""Property-based fuzzing of scenario files (hypothesis): mutate the numbers, polygons,
distributions and names of the four shipped scenarios, within and far beyond plausible
ranges. The property (issue "hostile input"):

    either ``validate`` refuses the file (exit 2, or 3 if its planned take itself blows
    up numerically) and ``run`` refuses it alike, writing nothing; or ``validate`` accepts
    it and ``run`` completes (exit 0, probabilities in [0, 1] with finite intervals) or
    stops on a numerical error (exit 3) — never a traceback, never another exit code.

The suite runs a bounded number of examples (marked slow); a developer runs the long
profile with ``STUNTSIM_FUZZ_EXAMPLES=500 python -m pytest tests/test_fuzz.py`` (the
suite's examples are derandomised, the same on every run; the long profile draws fresh
ones).
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from pathlib import Path

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from stuntsim.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {name: yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text())
             for name in ("rome_sharp_turn", "cliff_hairpin", "camera_rig_car", "train_roof")}
EXAMPLES = int(os.environ.get("STUNTSIM_FUZZ_EXAMPLES", "16"))
RANDOM = os.environ.get("STUNTSIM_FUZZ_EXAMPLES")  # the long profile explores afresh
QUANTITY = re.compile(r"^\s*(-?[0-9.]+(?:e[-+]?[0-9]+)?)\s*(.*)$", re.IGNORECASE)
FACTORS = [0.0, -1.0, 1e-9, 0.01, 0.5, 0.9, 1.1, 2.0, 10.0, 1e3, 1e9, 1e300,
           math.nan, math.inf, -math.inf]


def _leaves(node, path=()):
    """(path, value) of every number, quantity string and list of points."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        if node and all(isinstance(p, list) and len(p) == 2 for p in node):
            yield path, node  # a polygon or polyline
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    elif isinstance(node, bool):
        return
    elif isinstance(node, int | float) or (isinstance(node, str) and QUANTITY.match(node)):
        yield path, node


def _scaled(value, factor: float):
    if isinstance(value, str):
        number, unit = QUANTITY.match(value).groups()
        scaled = float(number) * factor
        return f"{scaled!r} {unit}".strip() if unit else scaled
    return value * factor if not isinstance(value, list) else value


def _set(data, path, value) -> None:
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


@st.composite
def mutated_scenarios(draw):
    name = draw(st.sampled_from(sorted(SCENARIOS)))
    data = copy.deepcopy(SCENARIOS[name])
    leaves = list(_leaves(data))
    names = [path for path, _ in _leaves_named(data)]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["number", "number", "polygon", "name"]))
        if kind == "name" and names:
            path = draw(st.sampled_from(names))
            _set(data, path, draw(st.text(min_size=0, max_size=300)))
            continue
        path, value = draw(st.sampled_from(leaves))
        if isinstance(value, list):  # move one vertex, by up to the polygon's size and more
            points = copy.deepcopy(value)
            k = draw(st.integers(0, len(points) - 1))
            scale = draw(st.sampled_from([0.1, 1.0, 10.0, 1e6]))
            points[k] = [points[k][0] + draw(st.floats(-1, 1)) * scale,
                         points[k][1] + draw(st.floats(-1, 1)) * scale]
            if draw(st.booleans()) and len(points) > 3:
                points[0], points[1] = points[1], points[0]
            _set(data, path, points)
        elif kind == "number":
            _set(data, path, _scaled(value, draw(st.sampled_from(FACTORS))))
    return name, data


def _leaves_named(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("name", "description") and isinstance(value, str):
                yield (*path, key), value
            else:
                yield from _leaves_named(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves_named(value, (*path, index))


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, derandomize=RANDOM is None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=mutated_scenarios())
def test_a_mutated_scenario_runs_or_is_refused_at_validation(case, tmp_path_factory, capsys):
    name, data = case
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / f"{name}.yaml"
    try:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError:
        return  # not a file anyone could write
    path.write_text(text)
    validated = main(["validate", str(path)])
    checked = capsys.readouterr().err
    assert validated in (0, 2, 3), checked
    assert "Traceback" not in checked
    out = folder / "out"
    ran = main(["run", str(path), "--samples", "32", "--no-plots", "--quiet",
                "--executor", "serial", "--out", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if validated != 0:
        assert ran == validated, (checked, err)
        assert not out.exists()
        return
    assert ran in (0, 3), err
    if ran == 3:
        assert not out.exists()
        return
    summary = json.loads((out / "summary.json").read_text())
    for hazard in summary["hazards"].values():
        assert 0.0 <= hazard["probability"] <= 1.0
        assert all(math.isfinite(v) for v in hazard["ci95"])
