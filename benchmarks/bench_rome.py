"""Throughput, scaling and memory of the Rome sharp-turn scenario. Prints; never asserts on time.

    python benchmarks/bench_rome.py            # full run, several minutes
    python benchmarks/bench_rome.py --quick    # under ~2 minutes
    python benchmarks/bench_rome.py --profile  # also cProfile one closed-loop chunk

Figures (see benchmarks/README.md for what each one counts):

1. closed loop: ``stuntsim.run(resolved, samples=N, keep_trajectories=0)``, serial executor,
   each N in its own subprocess (which also gives that run's peak RSS);
2. raw vehicle model: ``stuntsim.kinds.car.dynamics.rk4_step`` alone, batched, in place;
3. geometry: ``DistanceField.footprint_clearance`` against a plain all-pairs numpy
   clearance (every corner × every wall segment, every wall vertex × the footprint);
4. per-sample baseline: the same dynamics (``derivatives`` on 1-sample arrays) integrated
   with ``scipy.integrate.solve_ivp`` (RK45) one sample at a time, driven by the commands
   the closed loop really applied;
5. peak memory at 1e5 samples and at 1e6 samples of a shortened manoeuvre.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import stuntsim
from stuntsim.kinds.car import dynamics
from stuntsim.kinds.car import model as car_model
from stuntsim.kinds.car.model import CarModel, Parameters, build_street
from stuntsim.risk.sampling import draw

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "rome_sharp_turn.yaml"
SHORT_DURATION = 1.0  # [s] of the shortened manoeuvre used for the 1e6-sample memory run

TARGETS = {
    "closed": 1.2e6,  # sample-steps/s, closed loop
    "raw": 2.4e6,  # sample-steps/s, rk4_step alone
    "speedup": 100.0,  # batched / per-sample
    "memory_1e6": 1024.0,  # MiB
}


# ----------------------------------------------------------------------------- helpers


def load(duration: float | None = None):
    resolved = stuntsim.load_scenario(SCENARIO)
    if duration is not None:
        resolved = resolved.with_nominal("simulation.duration", duration)
    return resolved


def first_draws(resolved, n: int) -> dict[str, np.ndarray]:
    """The draws of samples 0 … n−1 of a run with the scenario's seed."""
    return draw(resolved.scenario.seed, resolved.uncertain_names, resolved.distributions, 0, n)


def peak_rss_mib() -> float:
    """Peak resident set size of this process (VmHWM) [MiB]."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@contextlib.contextmanager
def rk4_spy(record: bool = False):
    """Count (and optionally keep) the rk4_step calls of the closed loop.

    Wraps the name ``rk4_step`` in :mod:`stuntsim.kinds.car.model` (one extra Python call per
    time step, ~1 µs against milliseconds per step). ``spy["steps"]`` is the sum over calls
    of the batch width n, i.e. the sample-steps the loop computed, finished samples
    included. If the model no longer calls ``rk4_step`` by that name the count stays 0.
    """
    original = car_model.rk4_step
    spy: dict = {"steps": 0, "calls": 0, "log": []}

    def counted(state, dt, steer, accel, params, mu_front, mu_rear, **kwargs):
        spy["steps"] += state.shape[1]
        spy["calls"] += 1
        if record:
            spy["log"].append(
                (
                    state.copy(),
                    *(np.array(v, dtype=float) for v in (steer, accel, mu_front, mu_rear)),
                )
            )
        return original(state, dt, steer, accel, params, mu_front, mu_rear, **kwargs)

    car_model.rk4_step = counted
    try:
        yield spy
    finally:
        car_model.rk4_step = original


def git_state() -> str:
    """Commit and modified files of the checkout being measured (the code moves under us)."""
    root = Path(__file__).resolve().parents[1]

    def git(*args):
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.rstrip("\n") if done.returncode == 0 else "?"

    dirty = [line[3:] for line in git("status", "--porcelain").splitlines() if line[3:]]
    dirty = [path for path in dirty if not path.startswith("benchmarks/")]
    changes = f" + uncommitted changes in {', '.join(dirty)}" if dirty else ""
    return git("rev-parse", "--short", "HEAD") + changes


def timed_rate(fn, work: float, *, repeat: int = 3) -> float:
    """Work units per second: one warm-up call, then the median of ``repeat`` timed calls."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return work / float(np.median(times))


def fmt_rate(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    if value >= 1e3:
        return f"{value / 1e3:.1f} k"
    return f"{value:.0f}"


# ------------------------------------------------------------- reference closed-loop run


def reference_run(resolved, n: int):
    """A recorded closed-loop run of samples 0 … n−1 with the commands it applied.

    Returns (active steps per sample (n,), recorded trajectories, applied commands (steps, n)
    as a dict, initial state (7, n)).
    """
    model = CarModel(resolved)
    with rk4_spy(record=True) as spy:
        outcome = model.simulate(first_draws(resolved, n), n, record=True)
    trajectories = outcome.trajectories
    active_steps = trajectories["active"].sum(axis=1).astype(int)
    log = spy["log"]
    commands = {}
    if log:
        for k, key in enumerate(("steer", "accel", "mu_front", "mu_rear"), start=1):
            commands[key] = np.stack([np.broadcast_to(entry[k], (n,)) for entry in log])
        state0 = log[0][0]
    else:
        state0 = None
    return model, active_steps, trajectories, commands, state0


# -------------------------------------------------------------------- 1. closed loop


def child_run(samples: int, duration: float | None, executor: str) -> None:
    """Subprocess body: one ``stuntsim.run``; prints one JSON line."""
    resolved = load(duration)
    start = time.perf_counter()
    street = build_street(resolved.scenario)
    for name in ("collision_field", "kerb_field"):  # StreetGeometry builds fields lazily
        getattr(street, name, None)
    build = time.perf_counter() - start
    del street
    base = peak_rss_mib()
    with rk4_spy() as spy:
        start = time.perf_counter()
        result = stuntsim.run(
            resolved,
            samples=samples,
            keep_trajectories=0,
            executor=executor,
            workers=2 if executor == "process" else None,
        )
        wall = time.perf_counter() - start
    sim = resolved.scenario.simulation
    print(
        json.dumps(
            {
                "samples": samples,
                "wall": wall,
                "build": build,
                "loop_steps": spy["steps"],
                "n_steps_max": int(np.ceil(sim.duration / sim.time_step)),
                "rss_base": base,
                "rss_peak": peak_rss_mib(),
                # largest terminated child (process-pool workers), 0 if none
                "rss_workers": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0,
                "p_any": float(result.any_hazard.probability),
            }
        )
    )


def spawn_run(samples: int, *, duration: float | None = None, executor: str = "serial") -> dict:
    command = [sys.executable, __file__, "--child-run", str(samples), "--executor", executor]
    if duration is not None:
        command += ["--duration", str(duration)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def closed_loop(sizes, active_per_sample: float, log) -> list[dict]:
    rows = []
    for samples, executor in sizes:
        info = spawn_run(samples, executor=executor)
        info["executor"] = executor
        info["useful_steps"] = active_per_sample * samples
        info["nominal_steps"] = samples * info["n_steps_max"]
        sim_time = info["wall"] - (info["build"] if executor == "serial" else 0.0)
        info["rate_useful"] = info["useful_steps"] / info["wall"]
        info["rate_useful_nobuild"] = info["useful_steps"] / sim_time
        # the rk4_step counter only sees this process: not the pool's workers
        counted = info["loop_steps"] and executor == "serial"
        info["rate_loop"] = info["loop_steps"] / info["wall"] if counted else None
        info["rate_nominal"] = info["nominal_steps"] / info["wall"]
        rows.append(info)
        log(
            f"  N={samples:>8.0e} {executor:>7}: {info['wall']:7.1f} s "
            f"(street build {info['build']:.1f} s)  "
            f"useful {fmt_rate(info['rate_useful'])}/s "
            f"[excl. build {fmt_rate(info['rate_useful_nobuild'])}/s]  "
            f"loop {fmt_rate(info['rate_loop'])}/s  "
            f"N×n_max {fmt_rate(info['rate_nominal'])}/s  "
            f"peak RSS {info['rss_peak']:.0f} MiB"
            + (f" (+ workers ≤ {info['rss_workers']:.0f} MiB each)" if info["rss_workers"] else "")
        )
    return rows


def profile_chunk(resolved, n: int, log, top: int = 15) -> None:
    model = CarModel(resolved)
    _ = model.street
    drawn = first_draws(resolved, n)
    profiler = cProfile.Profile()
    profiler.enable()
    model.simulate(drawn, n)
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(top)
    log(f"\ncProfile of one closed-loop chunk ({n} samples), top {top} by tottime:")
    lines = buffer.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    summary = [line for line in lines[:start] if "function calls" in line]
    for line in summary + lines[start:]:
        if line.strip():
            log("  " + line.replace(str(Path(stuntsim.__file__).parent), "stuntsim"))


# ----------------------------------------------------------------- 2. raw vehicle model


def raw_model(resolved, n: int, steps: int) -> float:
    model = CarModel(resolved)
    params = model.vehicle_params(Parameters(resolved.nominal, first_draws(resolved, n), n))
    rng = np.random.default_rng(1)
    state = dynamics.initial_state(n, x=-45.5, y=-1.0, speed=rng.uniform(10.0, 14.0, n))
    state[dynamics.STEER] = rng.uniform(-0.2, 0.2, n)
    steer = rng.uniform(-0.3, 0.3, n)
    accel = rng.uniform(-3.0, 1.0, n)
    mu = rng.uniform(0.3, 0.7, n)
    dt = resolved.scenario.simulation.time_step
    start_state = state.copy()

    def loop():
        state[:] = start_state
        for _ in range(steps):
            dynamics.rk4_step(state, dt, steer, accel, params, mu, mu, out=state)

    return timed_rate(loop, n * steps, repeat=3)


# ------------------------------------------------------------------------ 3. geometry


class AllPairs:
    """Plain clearance: every footprint corner × every wall segment, every wall vertex ×
    the footprint rectangle; vectorised numpy, no distance field (unsigned)."""

    def __init__(self, solids, chunk: int = 8192):
        a = np.vstack([solid.polygon for solid in solids])
        b = np.vstack([np.roll(solid.polygon, -1, axis=0) for solid in solids])
        self.ax, self.ay = a[:, 0], a[:, 1]
        self.ex, self.ey = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
        self.inv_len2 = 1.0 / (self.ex**2 + self.ey**2)
        self.vx, self.vy = a[:, 0], a[:, 1]  # every vertex
        self.chunk = chunk

    def clearance(self, x, y, yaw, front, rear, half_width):
        out = np.empty(x.shape)
        for start in range(0, x.size, self.chunk):
            sl = slice(start, start + self.chunk)
            out[sl] = self._clearance(x[sl], y[sl], yaw[sl], front[sl], rear[sl], half_width[sl])
        return out

    def _clearance(self, x, y, yaw, front, rear, half_width):
        c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
        along = np.stack([front, front, -rear, -rear], axis=1)  # (n, 4)
        across = np.stack([-half_width, half_width, half_width, -half_width], axis=1)
        px = (x[:, None] + c * along - s * across)[:, :, None]  # (n, 4, 1)
        py = (y[:, None] + s * along + c * across)[:, :, None]
        dx, dy = px - self.ax, py - self.ay  # (n, 4, S)
        t = np.clip((dx * self.ex + dy * self.ey) * self.inv_len2, 0.0, 1.0)
        d2_corner = ((dx - t * self.ex) ** 2 + (dy - t * self.ey) ** 2).min(axis=(1, 2))
        wx, wy = self.vx - x[:, None], self.vy - y[:, None]  # (n, V)
        u = wx * c + wy * s
        w = -wx * s + wy * c
        du = np.maximum(np.maximum(u - front[:, None], -rear[:, None] - u), 0.0)
        dw = np.maximum(np.abs(w) - half_width[:, None], 0.0)
        d2_vertex = (du * du + dw * dw).min(axis=1)
        return np.sqrt(np.minimum(d2_corner, d2_vertex))


def geometry(resolved, street, trajectories, sizes, log) -> list[dict]:
    """footprint_clearance vs all-pairs on poses the closed loop really visited.

    The closed loop queries two fields per step: ``street.field`` (buildings, obstacles)
    and ``street.kerb_field`` (kerbs); both are timed, each against its own all-pairs.
    """
    active = trajectories["active"].astype(bool)
    pool_x, pool_y, pool_yaw = (trajectories[key][active] for key in ("x", "y", "yaw"))
    nominal = resolved.nominal
    front_n = nominal["vehicle.cg_to_front"] + nominal["vehicle.front_overhang"]
    rear_n = nominal["vehicle.length"] - front_n
    half_n = 0.5 * nominal["vehicle.width"]
    # StreetGeometry.collision_field (current) or Street.field (before 3273f97)
    walls = street.collision_field if hasattr(street, "collision_field") else street.field
    fields = {"walls": walls}
    if street.kerb_field is not None:
        fields["kerbs"] = street.kerb_field
    rng = np.random.default_rng(2)
    rows = []
    for n in sizes:
        pick = rng.integers(0, pool_x.size, n)
        x, y, yaw = pool_x[pick], pool_y[pick], pool_yaw[pick]
        front, rear, half = (np.full(n, v) for v in (front_n, rear_n, half_n))
        poses = (x, y, yaw, front, rear, half)
        repeat = max(3, int(2e5 // n))
        row = {"n": n}
        for name, field in fields.items():
            plain = AllPairs(field.solids)
            rate_field = timed_rate(
                lambda poses=poses, field=field: field.footprint_clearance(*poses),
                n,
                repeat=repeat,
            )
            rate_plain = timed_rate(
                lambda poses=poses, plain=plain: plain.clearance(*poses), n, repeat=repeat
            )
            exact = field.footprint_clearance(*poses).distance
            reference = plain.clearance(*poses)
            near = (exact > 0) & (exact < 0.9 * field.exact_band)
            agree = float(np.max(np.abs(exact - reference)[near])) if near.any() else np.nan
            row[name] = {"field": rate_field, "plain": rate_plain, "agree": agree}
            log(
                f"  n={n:>7.0e} {name:>5}: distance field {fmt_rate(rate_field)} queries/s, "
                f"all-pairs ({len(plain.ax)} segments, {len(plain.vx)} vertices) "
                f"{fmt_rate(rate_plain)} queries/s → field {rate_field / rate_plain:.2f}× "
                f"faster; max |Δ| on {near.sum()} poses with 0 < d < "
                f"{0.9 * field.exact_band:.2f} m: {agree:.1e} m"
            )
        # seconds per pose for everything the loop asks of the geometry each step
        row["field_cost"] = sum(1.0 / row[name]["field"] for name in fields)
        row["plain_cost"] = sum(1.0 / row[name]["plain"] for name in fields)
        rows.append(row)
    return rows


# ----------------------------------------------------------- 4. per-sample baseline


def per_sample_baseline(
    resolved, model, active_steps, trajectories, commands, state0, samples: int, log
) -> dict:
    """solve_ivp (RK45) one sample at a time, one call per 0.01 s step, commands held.

    The user-written loop: for each sample, for each step, call solve_ivp over [t, t + dt]
    with the right-hand side ``derivatives`` on (7, 1) arrays and the step's commands
    (the ones the batched closed loop applied: steering and acceleration after the
    reaction delay, friction under each axle). The driver and the geometry are *not* in
    this loop, so it does less work per step than the batched closed loop.
    """
    from scipy.integrate import solve_ivp

    dt = resolved.scenario.simulation.time_step
    draws = first_draws(resolved, active_steps.size)
    steer, accel = commands["steer"], commands["accel"]
    mu_front, mu_rear = commands["mu_front"], commands["mu_rear"]

    def rhs(_t, y, params, steer_k, accel_k, mu_f, mu_r):
        rates, _ = dynamics.derivatives(y.reshape(7, 1), steer_k, accel_k, params, mu_f, mu_r)
        return rates[:, 0]

    total_steps = 0
    evaluations = 0
    worst = 0.0
    start = time.perf_counter()
    for i in range(samples):
        one = {name: values[i : i + 1] for name, values in draws.items()}
        params = model.vehicle_params(Parameters(resolved.nominal, one, 1))
        y = state0[:, i].copy()
        for k in range(active_steps[i]):
            solution = solve_ivp(
                rhs,
                (k * dt, (k + 1) * dt),
                y,
                method="RK45",
                rtol=1e-6,
                atol=1e-8,
                args=(params, steer[k, i], accel[k, i], mu_front[k, i], mu_rear[k, i]),
            )
            y = solution.y[:, -1]
            evaluations += solution.nfev
        total_steps += active_steps[i]
        last = active_steps[i] - 1
        worst = max(
            worst,
            float(np.hypot(y[0] - trajectories["x"][i, last], y[1] - trajectories["y"][i, last])),
        )
    wall = time.perf_counter() - start
    rate = total_steps / wall
    log(
        f"  {samples} samples, {total_steps} steps ({total_steps / samples:.0f}/sample), "
        f"{evaluations / total_steps:.1f} RHS calls/step: {wall:.1f} s → "
        f"{fmt_rate(rate)} sample-steps/s; final position vs batched RK4: "
        f"max {worst * 1e3:.2f} mm"
    )
    return {"rate": rate, "wall": wall, "steps": total_steps, "agree": worst}


# --------------------------------------------------------------------------- main


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip 1e5/1e6; < ~2 min")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile one closed-loop chunk (8192 samples), top 15",
    )
    parser.add_argument("--child-run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--duration", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--executor", default="serial", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_run is not None:
        child_run(args.child_run, args.duration, args.executor)
        return

    def log(text=""):
        print(text, flush=True)

    started = time.perf_counter()
    resolved = load()
    sim = resolved.scenario.simulation
    n_max = int(np.ceil(sim.duration / sim.time_step))
    log(f"code: {git_state()}")
    log(
        f"stuntsim {stuntsim.__version__} · {SCENARIO.name} · numpy {np.__version__} · "
        f"Python {sys.version.split()[0]} · {os.cpu_count()} CPUs · "
        f"dt {sim.time_step} s, at most {n_max} steps/sample"
    )

    # Reference run: which steps samples really simulate, and the commands they got.
    n_reference = 256
    model, active_steps, trajectories, commands, state0 = reference_run(resolved, n_reference)
    active_per_sample = float(active_steps.mean())
    log(
        f"reference run, samples 0…{n_reference - 1}: {active_per_sample:.0f} active "
        f"steps/sample on average (min {active_steps.min()}, max {active_steps.max()}; "
        f"samples stop at contact or at the end of the line)"
    )

    log("\n1. closed loop, stuntsim.run(samples=N, keep_trajectories=0), one subprocess each")
    sizes = [(1000, "serial"), (10_000, "serial")]
    if not args.quick:
        sizes += [(100_000, "serial"), (100_000, "process")]
    closed = closed_loop(sizes, active_per_sample, log)

    log("\n2. raw vehicle model, rk4_step batched, in place")
    raw = {}
    for n, steps in ((10_000, 200), (100_000, 40 if args.quick else 100)):
        raw[n] = raw_model(resolved, n, steps)
        log(f"  n={n:>7.0e}: {fmt_rate(raw[n])} sample-steps/s")

    log("\n3. geometry: DistanceField.footprint_clearance vs all-pairs, on visited poses")
    street = build_street(resolved.scenario)
    geo = geometry(resolved, street, trajectories, (10_000, 100_000), log)

    log("\n4. per-sample baseline: solve_ivp RK45 (rtol 1e-6, atol 1e-8) per sample per step")
    if not commands:
        log("  skipped: the closed loop no longer calls car.model.rk4_step (no commands)")
        base = None
    else:
        base = per_sample_baseline(
            resolved,
            model,
            active_steps,
            trajectories,
            commands,
            state0,
            8 if args.quick else 50,
            log,
        )

    log("\n5. peak memory (VmHWM of a fresh subprocess per run)")
    short = resolved.with_nominal("simulation.duration", SHORT_DURATION)
    _, short_active, *_ = reference_run(short, 256)
    memory = []
    for samples in (100_000,) if args.quick else (1_000_000,):
        info = spawn_run(samples, duration=SHORT_DURATION)
        info["rate_useful"] = short_active.mean() * samples / info["wall"]
        memory.append(info)
        log(
            f"  N={samples:.0e}, duration {SHORT_DURATION} s ({info['n_steps_max']} steps): "
            f"{info['wall']:.0f} s, {fmt_rate(info['rate_useful'])} sample-steps/s, "
            f"peak RSS {info['rss_peak']:.0f} MiB (after imports + street build "
            f"{info['rss_base']:.0f} MiB)"
        )
    for row in closed:
        memory.append(row)

    if args.profile:
        profile_chunk(resolved, 8192, log)

    # ---------------------------------------------------------------- summary table
    serial = [row for row in closed if row["executor"] == "serial"]
    best_closed = serial[-1]
    best_raw = raw[100_000]
    geo_big = geo[-1]
    closed_rate = best_closed["rate_useful"]
    log("\nSummary (sample-steps are the steps each sample actually simulated)")
    log(f"{'figure':<58} {'measured':>14} {'target':>14}")
    log("-" * 88)

    def row(name, measured, target=""):
        log(f"{name:<58} {measured:>14} {target:>14}")

    for info in closed:
        row(
            f"closed loop, N={info['samples']:.0e}, {info['executor']} [sample-steps/s]",
            fmt_rate(info["rate_useful"]),
            f"≥ {fmt_rate(TARGETS['closed'])}" if info["executor"] == "serial" else "",
        )
    row(
        "  same, N=largest serial, excl. street build", fmt_rate(best_closed["rate_useful_nobuild"])
    )
    row(
        "raw model rk4_step, n=1e5 [sample-steps/s]",
        fmt_rate(best_raw),
        f"≈ {fmt_rate(TARGETS['raw'])}",
    )
    row("closed loop / raw model", f"{closed_rate / best_raw:.2f}", "≈ 0.5")
    row("distance field, walls, n=1e5 [queries/s]", fmt_rate(geo_big["walls"]["field"]))
    row("all-pairs clearance, walls, n=1e5 [queries/s]", fmt_rate(geo_big["walls"]["plain"]))
    if "kerbs" in geo_big:
        row("distance field, kerbs, n=1e5 [queries/s]", fmt_rate(geo_big["kerbs"]["field"]))
        row("all-pairs clearance, kerbs, n=1e5 [queries/s]", fmt_rate(geo_big["kerbs"]["plain"]))
    # The share of the closed-loop time per sample-step that the geometry queries take
    # (timed alone, so this leaves out cache effects inside the loop).
    row(
        "geometry / closed loop time, distance fields",
        f"{closed_rate * geo_big['field_cost']:.2f}",
        "< 0.1",
    )
    row("geometry / closed loop time, if all-pairs", f"{closed_rate * geo_big['plain_cost']:.2f}")
    if base is not None:
        row("per-sample solve_ivp [sample-steps/s]", fmt_rate(base["rate"]))
        row(
            "closed loop (batched) / per-sample",
            f"{closed_rate / base['rate']:.0f}×",
            f"≥ {TARGETS['speedup']:.0f}×",
        )
        row("raw model (batched) / per-sample", f"{best_raw / base['rate']:.0f}×")
    for info in memory:
        duration = "" if "executor" in info else f", {SHORT_DURATION} s"
        executor = info.get("executor", "serial")
        target = ""
        if info["samples"] >= 1_000_000:
            target = f"< {TARGETS['memory_1e6']:.0f}"
        measured = f"{info['rss_peak']:.0f}"
        if info.get("rss_workers"):
            executor += ", parent + largest worker"
            measured = f"{info['rss_peak']:.0f} + {info['rss_workers']:.0f}"
        row(f"peak RSS, N={info['samples']:.0e}{duration}, {executor} [MiB]", measured, target)
    log(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
