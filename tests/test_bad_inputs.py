"""The corpus of bad and doubtful scenario files (tests/bad_inputs/): every file either
runs or is refused at validation, with one line that names the file and what is wrong;
never a traceback, never a hang, never a partial or mixed output folder (issue "hostile
input").

Each refused file must be refused by ``validate`` (exit 2) *and* by ``run`` (exit 2,
nothing written); each doubtful one validates (exit 0) with its warning and runs. The
commands run in this process (so a traceback fails the test) under a wall-clock limit
(SIGALRM), each file written out from a shipped scenario and a few changes.
"""

from __future__ import annotations

import copy
import math
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from stuntsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "bad_inputs"
BASES = {
    "rome": ROOT / "scenarios" / "rome_sharp_turn.yaml",
    "cliff": ROOT / "scenarios" / "cliff_hairpin.yaml",
    "rig": ROOT / "scenarios" / "camera_rig_car.yaml",
    "train": ROOT / "scenarios" / "train_roof.yaml",
}
SECONDS = 30  # per command: validation is immediate, a small run a few seconds

MUTATIONS = yaml.safe_load((CORPUS / "mutations.yaml").read_text())


@contextmanager
def time_limit(seconds: int):
    def expire(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _value(value):
    """The corpus's spellings of values YAML cannot write plainly."""
    if isinstance(value, str):
        if value in ("NAN", "INF", "-INF"):
            return float(value.lower())
        if value.startswith("REPEAT:"):
            _, count, item = value.split(":", 2)
            return [yaml.safe_load(item) for _ in range(int(count))]
        if value.startswith("TEXT:"):
            return "x" * int(value.split(":")[1])
        return value
    if isinstance(value, list):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    return value


def _walk(data, parts):
    """The container holding the last part of a dotted path (list items by name or
    index; ``uncertain`` and ``variants`` keys are whole dotted paths or names)."""
    node = data
    index = 0
    while index < len(parts) - 1:
        part = parts[index]
        if isinstance(node, dict) and part in ("uncertain", "variants") and node is data:
            return node[part], ".".join(parts[index + 1:])
        if isinstance(node, list):
            named = [item for item in node if isinstance(item, dict) and item.get("name") == part]
            node = named[0] if named else node[int(part)]
        else:
            node = node.setdefault(part, {})
        index += 1
    return node, parts[-1]


def _mutated(case: dict) -> dict:
    data = yaml.safe_load(BASES[case["base"]].read_text())
    data = copy.deepcopy(data)
    for path in case.get("delete", []):
        node, key = _walk(data, path.split("."))
        del node[key]
    for path, value in case.get("set", {}).items():
        parts = path.split(".")
        if parts[0] in ("uncertain", "variants"):
            # the rest is one key: a dotted path (uncertain) or a variant's name
            node = data.setdefault(parts[0], {})
            rest = ".".join(parts[1:])
            if parts[0] == "variants":
                node[rest.split(".")[0] if rest not in node else rest] = _value(value)
                if rest not in node:  # "variants.NAME" where NAME has dots or spaces
                    node[rest] = _value(value)
            else:
                node[rest] = _value(value)
            continue
        node, key = _walk(data, parts)
        node[key] = _value(value)
    return data


def _write(tmp_path: Path, case: dict) -> Path:
    path = tmp_path / (case["name"].replace(" ", "_") + ".yaml")
    path.write_text(yaml.safe_dump(_mutated(case), sort_keys=False, allow_unicode=True))
    return path


def _command(argv) -> int:
    with time_limit(SECONDS):
        return main(argv)


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("stuntsim: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _refused_everywhere(path: Path, says: str, tmp_path: Path, capsys) -> None:
    assert _command(["validate", str(path)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert path.name in line
    assert says.lower() in line.lower(), line
    assert len(line) < 2000  # an error message is bounded too
    out = tmp_path / "out"
    assert _command(["run", str(path), "--samples", "8", "--no-plots", "--quiet",
                     "--out", str(out)]) == 2
    assert says.lower() in _one_line(capsys.readouterr().err).lower()
    assert not out.exists()


@pytest.mark.parametrize("case", MUTATIONS["refused"], ids=lambda case: case["name"])
def test_a_bad_file_is_refused_by_validate_and_run(case, tmp_path, capsys):
    _refused_everywhere(_write(tmp_path, case), case["says"], tmp_path, capsys)


RAW = sorted((CORPUS / "raw").glob("*.yaml"))


@pytest.mark.parametrize("path", RAW, ids=lambda path: path.stem)
def test_a_raw_bad_file_is_refused_by_validate_and_run(path, tmp_path, capsys):
    header = path.read_bytes().split(b"\n", 1)[0].decode()
    assert header.startswith("# expect: 2 says: ")
    _refused_everywhere(path, header.removeprefix("# expect: 2 says: "), tmp_path, capsys)


@pytest.mark.parametrize("case", MUTATIONS["doubtful"], ids=lambda case: case["name"])
def test_a_doubtful_file_validates_and_runs_with_its_warning(case, tmp_path, capsys):
    path = _write(tmp_path, case)
    assert _command(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert case["says"] in err
    out = tmp_path / "out"
    assert _command(["run", str(path), "--samples", "16", "--no-plots", "--quiet",
                     "--executor", "serial", "--out", str(out)]) == 0
    assert case["says"] in capsys.readouterr().err
    summary = yaml.safe_load((out / "summary.json").read_text())
    for hazard in summary["hazards"].values():
        assert 0.0 <= hazard["probability"] <= 1.0
        assert all(math.isfinite(v) for v in hazard["ci95"])


def test_the_corpus_covers_what_the_issue_lists():
    # issue 13's cases by name: the list is the contract, so a case cannot be dropped
    names = {case["name"] for group in MUTATIONS.values() for case in group}
    names |= {path.stem for path in RAW}
    for needed in ("person at NaN", "obstacle centre at inf", "line start at 1e308",
                   "surface patch at -1e308", "bow-tie surface patch", "negative mass",
                   "CG height up to 1e308", "fifty 10 km straights", "hours of tiny steps",
                   "building at 1e200", "friction drawn all negative",
                   "a person inside a building", "alias_bomb", "deep_nesting",
                   "a name of 10000 characters", "samples true", "seed beyond 63 bits"):
        assert needed in names
