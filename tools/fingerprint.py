"""Fingerprint the four scenarios' results, to show a refactoring changes no result.

    python tools/fingerprint.py OUT_DIR            # writes OUT_DIR/<scenario>.json
    python tools/fingerprint.py OUT_DIR --against BEFORE_DIR

Each scenario runs with a fixed seed and sample count, serially, and its full summary.json
(every estimate, interval, quantile, harm and parameter; the run time and the scenario
file's hash left out: a comment edited in a scenario file changes no result) is written
with sorted keys, together with a SHA-256 of every per-take array (margins, draws and
details). ``--against`` compares byte for byte and exits 1 on any difference, naming it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("rome_sharp_turn", "cliff_hairpin", "camera_rig_car", "train_roof")
SAMPLES = 2000
SEED = 20261204


def fingerprint(name: str) -> dict:
    import stuntsim

    resolved = stuntsim.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stuntsim.run(resolved, samples=SAMPLES, seed=SEED, executor="serial")
    info = _summary(result)
    info.pop("runtime_s", None)
    # the scenario file's own hash changes with its comments; the results must not
    info.pop("scenario_sha256", None)
    # where the checkout lies is no result either (a worktree of another commit, say)
    _drop_key(info, "scenario_file")
    arrays = {}
    for group in ("margins", "draws", "details", "worst"):
        values = getattr(result, group, {})
        for key in sorted(values):
            item = values[key]
            if isinstance(item, dict):  # the train's details: hazard -> field -> array
                for sub in sorted(item):
                    arrays[f"{group}/{key}/{sub}"] = _digest(item[sub])
            else:
                arrays[f"{group}/{key}"] = _digest(item)
    return {"summary": info, "arrays": arrays}


def _drop_key(tree, key: str) -> None:
    """Remove ``key`` wherever it occurs in nested dicts and lists."""
    if isinstance(tree, dict):
        tree.pop(key, None)
        for value in tree.values():
            _drop_key(value, key)
    elif isinstance(tree, list):
        for value in tree:
            _drop_key(value, key)


def _summary(result) -> dict:
    from stuntsim.report import summary

    return summary(result)


def _digest(values) -> str:
    array = np.ascontiguousarray(np.asarray(values))
    return hashlib.sha256(array.dtype.str.encode() + str(array.shape).encode()
                          + array.tobytes()).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--against", type=Path)
    parser.add_argument("--only", nargs="*", default=SCENARIOS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    different = []
    for name in args.only:
        text = json.dumps(fingerprint(name), indent=1, sort_keys=True, allow_nan=True) + "\n"
        (args.out / f"{name}.json").write_text(text)
        if args.against is not None:
            before = (args.against / f"{name}.json").read_text()
            if before != text:
                different.append(name)
                old, new = json.loads(before), json.loads(text)
                for key in sorted(set(old["arrays"]) | set(new["arrays"])):
                    if old["arrays"].get(key) != new["arrays"].get(key):
                        print(f"{name}: {key} differs")
                if old["summary"] != new["summary"]:
                    print(f"{name}: summary differs")
        print(f"{name}: {'DIFFERENT' if name in different else 'written'}")
    if different:
        print(f"not identical: {', '.join(different)}")
        return 1
    if args.against is not None:
        print("identical: " + ", ".join(args.only))
    return 0


if __name__ == "__main__":
    sys.exit(main())
