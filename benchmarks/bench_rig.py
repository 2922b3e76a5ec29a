"""What the driver's sight lines cost: the camera-rig scenario. Prints; never asserts on time.

    python benchmarks/bench_rig.py            # about a minute
    python benchmarks/bench_rig.py --samples 4096

Figures:

1. closed loop, serial executor, the same samples: ``camera_rig_car.yaml`` as it is, and
   the same file with nobody stepping out (no sight lines are cast) — the ratio is the
   price of watching for a person;
2. one sight-line query, ``stuntsim.geometry.visibility.visible`` for n car poses against the
   scenario's buildings, the car body and the rig (9 sample points per person): batched
   over n against a per-sample Python loop of the same call (n = 1 each time) — the gain
   from batching;
3. per-step cost of the query [µs per sample] at n = 4096.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import yaml

import stuntsim
from stuntsim.geometry.visibility import eye_in_world, visible
from stuntsim.kinds.car.model import CarModel
from stuntsim.kinds.car.monitors import OPAQUE_CATEGORIES
from stuntsim.kinds.car.rig import body_occluders, rig_occluders
from stuntsim.scenario import parse_scenario, resolve

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "camera_rig_car.yaml"


def _best_of(function, repeats: int = 3) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def closed_loop(samples: int) -> None:
    resolved = stuntsim.load_scenario(SCENARIO)
    data = yaml.safe_load(SCENARIO.read_text())
    data["street"]["people_stepping_out"] = []
    data["uncertain"] = {k: v for k, v in data["uncertain"].items()
                         if not k.startswith("street.people_stepping_out")}
    nobody = resolve(parse_scenario(yaml.safe_dump(data)))
    steps = resolved.scenario.simulation.duration / resolved.scenario.simulation.time_step
    times = {}
    for label, scenario in (("with the person (sight lines)", resolved),
                            ("nobody stepping out", nobody)):
        times[label] = _best_of(lambda s=scenario: stuntsim.run(
            s, samples=samples, executor="serial", keep_trajectories=0), repeats=2)
        print(f"  {label:<32} {times[label]:7.2f} s  "
              f"(≤ {samples * steps / times[label]:.3g} sample-steps/s)")
    ratio = times["with the person (sight lines)"] / times["nobody stepping out"]
    print(f"  watching for the person costs ×{ratio:.2f} the run time")


def sight_query(n: int) -> None:
    resolved = stuntsim.load_scenario(SCENARIO)
    model = CarModel(resolved)
    street = model.street
    opaque = [s for s in street.solids if s.category in OPAQUE_CATEGORIES]
    occluders = [*body_occluders("fiat_500_nuova"), *rig_occluders(resolved.scenario.rig)]
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-8, 1, n), rng.uniform(-1, 8, n)
    yaw = rng.uniform(0, np.pi / 2, n)
    eye = np.tile([0.05, 0.27, 1.05], (n, 1))
    person = (np.full(n, -1.5), np.full(n, 10.0), np.full(n, 0.25), np.full(n, 1.75))

    def batched():
        return visible(eye_in_world((x, y, yaw), eye), person, opaque, occluders=occluders,
                       car_pose=(x, y, yaw))

    def per_sample():
        out = np.empty(n, dtype=bool)
        for i in range(n):
            pose = (x[i:i + 1], y[i:i + 1], yaw[i:i + 1])
            out[i] = visible(eye_in_world(pose, eye[i:i + 1]),
                             tuple(v[i:i + 1] for v in person), opaque,
                             occluders=occluders, car_pose=pose)[0]
        return out

    assert np.array_equal(batched(), per_sample())  # the same answer
    t_batch = _best_of(batched)
    t_loop = _best_of(per_sample, repeats=1)
    print(f"  batched over {n} samples: {t_batch * 1e3:7.2f} ms "
          f"({t_batch / n * 1e6:.2f} µs per sample per step)")
    print(f"  per-sample loop:          {t_loop * 1e3:7.2f} ms "
          f"({t_loop / n * 1e6:.1f} µs per sample per step)")
    print(f"  batching gain: ×{t_loop / t_batch:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1024)
    args = parser.parse_args()
    print(f"1. closed loop, {args.samples} samples, serial")
    closed_loop(args.samples)
    print("2-3. one sight-line query per step")
    sight_query(4096)


if __name__ == "__main__":
    main()
