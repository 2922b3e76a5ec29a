"""What a run will need — time steps, memory, time — against stated limits, known before
any take is simulated.

``stuntsim validate`` prints the plan and ``run()`` checks it first, so a scenario that
would run for hours or exhaust the machine is refused at validation (exit 2) with the
setting to change, instead of dying half-way (issue "hostile input"). The plan:

* **steps per take**: ``ceil(simulation.duration / simulation.time_step)``, at most
  :data:`MAX_STEPS_PER_TAKE`;
* **one nominal take** is simulated by ``validate`` (every uncertain input at its planned
  value): it costs a fraction of a second, shows that the model runs on this scenario at
  all and that the planned take gets through the stunt in the simulated time (a run whose
  takes do not is refused, :mod:`stuntsim.completion`), and gives the bytes a take keeps
  (its margins, draws and facts; ``run()`` uses the kind's stated
  :attr:`StuntKind.kept_bytes_per_take` instead);
* **memory**: per process, the kind's fixed structures (a car's distance grids,
  :meth:`StuntKind.fixed_memory`, checked before anything is built) and one chunk's working
  set (:attr:`StuntKind.chunk_bytes_per_take`, measured); plus the per-take arrays of the
  whole run, twice over (the report sorts and copies them); at most :data:`MEMORY_SHARE`
  of the machine's physical memory;
* **time**: takes × steps × the kind's measured cost per take and step
  (:attr:`StuntKind.take_step_seconds`) over the cores, an upper estimate (most takes end
  before the simulated time does). Above :data:`LONG_RUN_SECONDS` it is a warning, not an
  error: a long study may be what was meant.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from stuntsim.completion import INCOMPLETE
from stuntsim.errors import ScenarioError, StuntWarning
from stuntsim.kinds import kind_of
from stuntsim.kinds.base import unread_uncertain
from stuntsim.risk.sampling import BLOCK_SIZE
from stuntsim.scenario import ResolvedScenario

__all__ = ["LONG_RUN_SECONDS", "MAX_STEPS_PER_TAKE", "MEMORY_SHARE", "RunPlan", "plan_run"]

#: Time steps one take may need: 100 000 is 1000 s at the car's 0.01 s or 10 s at the
#: finest step the car allows (1e-4 s); the shipped scenarios need 2000–4000.
MAX_STEPS_PER_TAKE = 100_000

#: Share of the machine's physical memory a run may plan to use.
MEMORY_SHARE = 0.5

#: A run estimated to take longer than this (on all cores) is warned about.
LONG_RUN_SECONDS = 3600.0

#: The per-take arrays are held about twice over while the report is built.
REPORT_COPIES = 2


@dataclass(frozen=True)
class RunPlan:
    """What a run of ``samples`` takes will need; ``problems`` are reasons to refuse it."""

    samples: int
    steps_per_take: int
    bytes_per_take: int
    fixed_bytes: int
    chunk_bytes: int
    memory_bytes: int
    memory_limit: int
    seconds: float  # upper estimate, wall-clock on ``cores``
    cores: int
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for ``stuntsim validate``."""
        return (f"a run of {self.samples:,} takes: {self.steps_per_take:,} time steps per "
                f"take at most, memory about {_bytes(self.memory_bytes)} (limit "
                f"{_bytes(self.memory_limit)}), time at most about {_duration(self.seconds)} "
                f"on {self.cores} core{'s' if self.cores > 1 else ''}")

    def check(self, source: str) -> None:
        """Raise :class:`ScenarioError` for the first problem; warn about the rest."""
        if self.problems:
            raise ScenarioError(self.problems[0], source=source)
        for note in self.warnings:
            warnings.warn(note, StuntWarning, stacklevel=3)


def plan_run(resolved: ResolvedScenario, samples: int | None = None, *,
             chunk_blocks: int | None = None, cores: int | None = None,
             model=None, probe: bool = True) -> RunPlan:
    """The plan of a run of ``samples`` takes (default: the scenario's), with the limits
    checked. With ``probe`` (``stuntsim validate``) one nominal take is simulated, unless a
    limit is already broken; without it (each ``run()``, where the first chunk follows at
    once) the kind's stated bytes per take stand in for the measured ones."""
    spec = resolved.scenario
    samples = spec.samples if samples is None else int(samples)
    sim = spec.simulation
    chunk_blocks = sim.chunk_blocks if chunk_blocks is None else int(chunk_blocks)
    cores = cores or os.cpu_count() or 1
    kind = kind_of(resolved)
    steps = math.ceil(sim.duration / sim.time_step - 1e-9)
    chunks = max(math.ceil(samples / (BLOCK_SIZE * chunk_blocks)), 1)
    processes = min(cores, chunks)  # each holds the fixed structures and a chunk
    limit = int(MEMORY_SHARE * _physical_memory())
    problems: list[str] = []
    notes: list[str] = []
    fixed = int(kind.fixed_memory(resolved))
    if steps > MAX_STEPS_PER_TAKE:
        problems.append(
            f"simulation: {sim.duration:g} s at a time step of {sim.time_step:g} s is "
            f"{steps:,} steps per take, more than the {MAX_STEPS_PER_TAKE:,} allowed; "
            f"lengthen simulation.time_step or shorten simulation.duration")
    if fixed * processes > limit:
        problems.append(
            f"the scene needs about {_bytes(fixed)} of distance grids per process (the area "
            f"the line can reach, at {kind.grid_resolution(resolved):g} m), more than this "
            f"machine allows a run ({_bytes(limit)}); shorten the line or keep it within a "
            f"smaller area")
    bytes_per_take = kind.kept_bytes_per_take
    if probe and not problems:  # the nominal take builds the grids: once they are known to fit
        model = model if model is not None else kind.model(resolved)
        outcome = _nominal_take(resolved, model)
        bytes_per_take = _kept_bytes(outcome, len(resolved.uncertain_names))
        unread = unread_uncertain(resolved, model.read_paths)
        if unread is not None:
            problems.append(unread)
        if int(outcome.ending[0]) == INCOMPLETE:
            problems.append(
                f"the planned take itself (every uncertain input at its planned value) is "
                f"still under way when the simulated time runs out: "
                f"{model.completion_advice(np.asarray(outcome.progress))}")
    chunk_bytes = min(samples, BLOCK_SIZE * chunk_blocks) * kind.chunk_bytes_per_take
    memory = processes * (fixed + chunk_bytes) + REPORT_COPIES * samples * bytes_per_take
    if memory > limit and not problems:
        room = limit - processes * (fixed + chunk_bytes)
        if room <= 0:
            problems.append(
                f"simulation.chunk_blocks = {chunk_blocks} makes chunks of "
                f"{BLOCK_SIZE * chunk_blocks:,} takes that need about {_bytes(chunk_bytes)} "
                f"each; lower simulation.chunk_blocks")
        else:
            fits = room // max(REPORT_COPIES * bytes_per_take, 1)
            problems.append(
                f"{samples:,} takes need about {_bytes(memory)} of memory, more than this "
                f"machine allows a run ({_bytes(limit)}, {MEMORY_SHARE:.0%} of its memory); "
                f"run at most about {fits:,} takes at a time (samples)")
    seconds = samples * steps * kind.take_step_seconds / processes
    if seconds > LONG_RUN_SECONDS and not problems:
        notes.append(f"this run may take up to about {_duration(seconds)} on {cores} "
                     f"core{'s' if cores > 1 else ''} ({samples:,} takes of up to "
                     f"{steps:,} steps)")
    return RunPlan(samples=samples, steps_per_take=steps, bytes_per_take=bytes_per_take,
                   fixed_bytes=fixed, chunk_bytes=chunk_bytes, memory_bytes=memory,
                   memory_limit=limit, seconds=seconds, cores=cores, problems=problems,
                   warnings=notes)


def _nominal_take(resolved: ResolvedScenario, model):
    """One take with every uncertain input at its planned value."""
    nominal = {name: np.array([resolved.nominal[name]]) for name in resolved.uncertain_names}
    return model.simulate(nominal, 1)


def _kept_bytes(outcome, inputs: int) -> int:
    """Bytes a take keeps in the result: margins, facts, draws, how it ended, how far."""
    kept = sum(np.asarray(v).nbytes for v in outcome.margins.values())
    kept += sum(np.asarray(v).nbytes for v in outcome.details.values())
    return int(kept + 8 * inputs + 1 + 8)


def _physical_memory() -> int:
    """The machine's physical memory in bytes (8 GiB where the system will not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 8 * 2**30


def _bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.2g} h"
    if seconds >= 60:
        return f"{seconds / 60:.2g} min"
    return f"{max(seconds, 1):.2g} s"
