"""Speed and scale of whole runs and studies (the performance issue's table). Prints only.

    python benchmarks/bench_scale.py            # everything, ~6 min on 2 cores
    python benchmarks/bench_scale.py --quick    # smaller runs, ~2 min (no 1e6, no subset)

Each figure is a ratio or a wall time measured here, printed next to its target; nothing
is asserted (DESIGN: speed is shown, never tested on time). What each one counts:

1. closed loop / raw model: ``CarModel.simulate`` on one chunk of N takes in this process
   (street built beforehand), in *useful* sample-steps (the steps the takes actually
   simulated: ``record=True`` on the first 256 takes gives the mean), against
   ``dynamics.rk4_step`` alone on the same N with the scenario's vehicles (the same tyres),
   in place;
2. process pool / serial and Dask LocalCluster / serial: ``stuntsim.run`` of N takes with
   ``executor="serial"``, ``"process"`` (2 workers) and a 2-worker ``LocalCluster``
   (started beforehand, as a user's cluster would be), wall time ratios;
3. the README's main job, ``stuntsim run scenarios/rome_sharp_turn.yaml`` in a fresh
   process (imports, 8000 takes, figures, files), wall time;
4. peak RSS of the whole process tree (the run and its workers, sampled every 50 ms from
   /proc) for 1e6 takes of the Rome scenario cut to its first 8 m of straight (1.5 s
   simulated: every take must get through its stunt, so the line is shortened rather
   than the time), default executor;
5. subset simulation (``run --method subset --hazard person_struck`` defaults) vs plain
   Monte Carlo, in seconds per model evaluation (per take);
6. an envelope of k values × n takes against one run of k·n takes, and a compare of
   Rome's plan and its three variants (one shared model call) against one run, serially.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"
sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGETS = {
    "closed_vs_raw": "≥ 0.5",
    "pool": "≥ 1.85×",
    "main_job": "≤ 6 s",
    "rss_1e6": "< 1024 MiB",
    "subset": "≤ 1.5×",
    "envelope": "≤ 1.3×",
}


def tree_rss_peak(command: list[str]) -> tuple[float, float]:
    """Run ``command``; (wall seconds, peak summed RSS of it and its descendants [MiB])."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               cwd=ROOT)
    peak = [0.0]

    def descendants(pid: int) -> list[int]:
        found = [pid]
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    for child in handle.read().split():
                        found += descendants(int(child))
        except OSError:
            pass
        return found

    def rss(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024.0
        except OSError:
            pass
        return 0.0

    def sample():
        while process.poll() is None:
            peak[0] = max(peak[0], sum(rss(pid) for pid in descendants(process.pid)))
            time.sleep(0.05)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    _, err = process.communicate()
    watcher.join()
    if process.returncode != 0:
        raise RuntimeError(err.decode())
    return time.perf_counter() - start, peak[0]


def short_rome() -> str:
    """The Rome scenario cut to the first 8 m of its line, 1.5 s simulated (YAML text)."""
    import yaml

    data = yaml.safe_load(ROME.read_text())
    data["maneuver"]["line"]["segments"] = [{"straight": "8 m"}]
    data["maneuver"]["braking_point"] = "5 m"
    data["simulation"]["duration"] = "1.5 s"
    return yaml.safe_dump(data, sort_keys=False)


def closed_vs_raw(resolved, n: int, log) -> float:
    from bench_rome import first_draws, raw_model, reference_run

    from stuntsim.kinds.car.model import CarModel

    _, active, *_ = reference_run(resolved, 256)
    model = CarModel(resolved)
    _ = model.street.collision_field, model.street.kerb_field
    draws = first_draws(resolved, n)
    start = time.perf_counter()
    model.simulate(draws, n)
    wall = time.perf_counter() - start
    closed = active.mean() * n / wall
    raw = raw_model(resolved, n, 100)
    log(f"  closed loop, one chunk of {n}: {wall:.2f} s, {closed / 1e6:.2f} M useful "
        f"sample-steps/s ({active.mean():.0f} steps a take); raw rk4_step {raw / 1e6:.2f} M/s")
    return closed / raw


def executors(resolved, n: int, log) -> dict[str, float]:
    import distributed

    import stuntsim

    times = {}
    for name in ("serial", "process"):
        start = time.perf_counter()
        stuntsim.run(resolved, samples=n, executor=name, workers=2, keep_trajectories=0)
        times[name] = time.perf_counter() - start
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        stuntsim.run(resolved, samples=64, executor=client)  # workers warm (imports)
        start = time.perf_counter()
        stuntsim.run(resolved, samples=n, executor=client, keep_trajectories=0)
        times["dask"] = time.perf_counter() - start
    for name, wall in times.items():
        log(f"  {name:<8} {n} takes: {wall:.1f} s ({n / wall:.0f} takes/s)")
    return times


def subset_vs_mc(resolved, log) -> float:
    import stuntsim
    from stuntsim.studies import rare_event

    start = time.perf_counter()
    result = rare_event(resolved, "person_struck", executor="serial")
    subset_wall = time.perf_counter() - start
    n = 16384
    start = time.perf_counter()
    stuntsim.run(resolved, samples=n, executor="serial", keep_trajectories=0)
    mc_wall = time.perf_counter() - start
    per_eval = subset_wall / result.evaluations
    per_take = mc_wall / n
    log(f"  subset: {result.evaluations} evaluations in {subset_wall:.0f} s "
        f"({per_eval * 1e3:.2f} ms each); Monte Carlo {n} takes in {mc_wall:.0f} s "
        f"({per_take * 1e3:.2f} ms each)")
    return per_eval / per_take


def envelope_vs_run(resolved, k: int, n: int, log) -> float:
    import stuntsim
    from stuntsim.studies.envelope import envelope

    values = np.linspace(14.0, 22.0, k) / 3.6
    start = time.perf_counter()
    envelope(resolved, "maneuver.corner_speed", values, target=0.05, samples=n,
             executor="serial")
    env_wall = time.perf_counter() - start
    start = time.perf_counter()
    stuntsim.run(resolved, samples=k * n, executor="serial", keep_trajectories=0)
    run_wall = time.perf_counter() - start
    log(f"  envelope {k} values × {n} takes: {env_wall:.1f} s; one run of {k * n} takes: "
        f"{run_wall:.1f} s")
    return env_wall / run_wall


def compare_vs_run(resolved, n: int, log) -> float:
    """Rome's plan and its three variants (all values read take by take: one shared call)
    against one run of 4 n takes, serially."""
    import stuntsim
    from stuntsim.studies import compare

    variants = [resolved] + [resolved.variant(name) for name in resolved.scenario.variants]
    start = time.perf_counter()
    compare(variants, samples=n, executor="serial")
    cmp_wall = time.perf_counter() - start
    start = time.perf_counter()
    stuntsim.run(resolved, samples=len(variants) * n, executor="serial", keep_trajectories=0)
    run_wall = time.perf_counter() - start
    log(f"  compare of {len(variants)} × {n} takes: {cmp_wall:.1f} s; one run of "
        f"{len(variants) * n} takes: {run_wall:.1f} s")
    return cmp_wall / run_wall


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    from bench_rome import git_state

    import stuntsim

    def log(text=""):
        print(text, flush=True)

    log(f"code: {git_state()}")
    log(f"stuntsim {stuntsim.__version__} · numpy {np.__version__} · Python "
        f"{sys.version.split()[0]} · {os.cpu_count()} CPUs")
    resolved = stuntsim.load_scenario(ROME)
    rows = []

    log("\n1. closed loop vs raw model (serial, this process)")
    ratio = closed_vs_raw(resolved, 4096 if args.quick else 8192, log)
    rows.append(("closed loop / raw rk4 (useful sample-steps/s)", f"{ratio:.2f}",
                 TARGETS["closed_vs_raw"]))

    log("\n2. executors, stuntsim.run")
    n = 16384 if args.quick else 32768
    times = executors(resolved, n, log)
    pool = times["serial"] / times["process"]
    rows.append((f"process pool (2) / serial, {n} takes", f"{pool:.2f}×", TARGETS["pool"]))
    rows.append((f"Dask LocalCluster (2) / serial, {n} takes",
                 f"{times['serial'] / times['dask']:.2f}×", "(info)"))

    log("\n3. the README's main job")
    with tempfile.TemporaryDirectory() as out:
        wall, peak = tree_rss_peak([sys.executable, "-m", "stuntsim", "run", str(ROME),
                                    "--out", out, "--quiet"])
    log(f"  stuntsim run rome_sharp_turn.yaml: {wall:.1f} s, peak tree RSS {peak:.0f} MiB")
    rows.append(("Rome main job (8000 takes, figures), wall", f"{wall:.1f} s",
                 TARGETS["main_job"]))

    log("\n4. memory of a long run")
    takes = 100_000 if args.quick else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        short = Path(folder) / "rome_8m.yaml"
        short.write_text(short_rome())
        script = Path(folder) / "long_run.py"
        script.write_text(
            "import stuntsim\n"
            "if __name__ == '__main__':\n"
            f"    r = stuntsim.load_scenario({str(short)!r})\n"
            f"    stuntsim.run(r, samples={takes}, keep_trajectories=0)\n"
        )
        wall, peak = tree_rss_peak([sys.executable, str(script)])
    log(f"  {takes:.0e} takes of an 8 m line (1.5 s), default executor: {wall:.0f} s, peak "
        f"tree RSS {peak:.0f} MiB")
    rows.append((f"peak RSS of the process tree, {takes:.0e} short takes", f"{peak:.0f} MiB",
                 TARGETS["rss_1e6"] if takes >= 1_000_000 else "(1e6: < 1024 MiB)"))

    if not args.quick:
        log("\n5. subset simulation vs Monte Carlo, cost per take")
        ratio = subset_vs_mc(resolved, log)
        rows.append(("subset / Monte Carlo, seconds per take", f"{ratio:.2f}×",
                     TARGETS["subset"]))

    log("\n6. envelope vs one run (serial: the cost of k model calls against one)")
    k = 5
    for n in (512, 4096):
        ratio = envelope_vs_run(resolved, k, n, log)
        rows.append((f"envelope {k}×{n} / one run of {k * n} takes", f"{ratio:.2f}×",
                     TARGETS["envelope"]))
    ratio = compare_vs_run(resolved, 512, log)
    rows.append(("compare 4×512 / one run of 2048 takes", f"{ratio:.2f}×",
                 TARGETS["envelope"]))

    log(f"\n{'figure':<56} {'measured':>12} {'target':>12}")
    log("-" * 82)
    for name, measured, target in rows:
        log(f"{name:<56} {measured:>12} {target:>12}")
    log(json.dumps({name: measured for name, measured, _ in rows}))


if __name__ == "__main__":
    main()
