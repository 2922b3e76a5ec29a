"""What a stunt kind is: the interface every kind implements, and what flows through it.

A kind (a car on a street, performers on a train roof, the next one) is a package under
:mod:`stuntsim.kinds` that provides one :class:`StuntKind`:

* its **scenario schema** (a :class:`~stuntsim.scenario.ScenarioBase` with ``kind:
  Literal[...]``), registered with the scenario loader;
* a **model**: draws of the uncertain inputs → one :class:`Outcome` per chunk of takes,
  whose ``margins`` are the hazards' margins in SI (failure where ≤ 0,
  :func:`stuntsim.risk.failed`) and whose ``details`` are the facts behind them;
* its **hazards** (:class:`Hazard`: name, unit, description) and their **harm**
  (per take, P(death) and P(serious injury) from the kind's relations);
* its **report sections** (facts per hazard, extra sections of summary.json, table lines,
  the failures file) and its **figures**.

The runner, the studies, the report writer and the command line call only this interface;
they reach a kind through the registry (:func:`stuntsim.kinds.kind_of`) and know none by
name (docs/architecture.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from stuntsim.errors import NumericalError
from stuntsim.scenario.base import switch_leaves

__all__ = ["Hazard", "MatrixInput", "Model", "Outcome", "StuntKind", "harm_fact",
           "matching_paths", "unread_uncertain"]


def unread_uncertain(resolved, read: set[str] | frozenset[str]) -> str | None:
    """Why a run cannot honour its uncertain inputs, or None.

    A model takes its per-take inputs through a lookup that records each path it reads
    (``model.read_paths``); an uncertain input it never reads there is fixed for the whole
    run — it shapes the scene, the line, the track or the time grid, or it does not apply
    to this scenario — and its spread would be silently left out of every probability.
    That is refused. Inputs of an element switched off in this scenario (a barrier or a
    camera mount with ``present: false``, which a variant may switch on) are exempt: they
    do not apply, and the variant that switches the element on reads them.
    """
    off = [path[: -len("present")] for path, on in switch_leaves(resolved.scenario).items()
           if not on and path.endswith(".present")] + (
        ["rig."] if switch_leaves(resolved.scenario).get("rig.present") is False else [])
    unread = [path for path in resolved.uncertain_names
              if path not in read and not path.startswith(tuple(off))]
    if not unread:
        return None
    path = unread[0]
    more = f" (and {len(unread) - 1} more: {', '.join(unread[1:4])})" if len(unread) > 1 else ""
    return (f"uncertain.{path}: the model takes this value once for the whole run (it "
            f"shapes the scene, the line or the time grid, or it does not apply to this "
            f"scenario), so its spread would be silently left out of every probability"
            f"{more}; remove it from `uncertain`, and compare fixed values with `variants:` "
            f"or `stuntsim envelope --param '{path}'` instead")


def matching_paths(paths, patterns) -> frozenset[str]:
    """The dotted ``paths`` that match one of ``patterns``, where a ``*`` stands for one
    whole name (``rig.mounts.*.mass`` matches ``rig.mounts.hood camera.mass``, not
    ``rig.mounts.hood camera.position.0``)."""
    compiled = [re.compile(r"\.".join("[^.]+" if part == "*" else re.escape(part)
                                      for part in pattern.split(".")) + r"\Z")
                for pattern in patterns]
    return frozenset(path for path in paths if any(c.match(path) for c in compiled))


@dataclass(frozen=True)
class Hazard:
    """One hazard of a kind: its name, the unit of its margin and what the margin measures.

    Margins are kept in SI; ``display_scale`` converts them to ``unit`` for people.
    """

    name: str
    unit: str
    description: str
    display_scale: float = 1.0


class Outcome(Protocol):
    """What a model returns for a chunk of n takes (leading axis of every array: the take).

    ``margins``   hazard → (n,) margin, SI, failure where ≤ 0;
    ``ending``    (n,) int8 :data:`stuntsim.completion.ENDINGS` code (0: still under way
                  when the simulated time ran out);
    ``progress``  (n,) how far along the plan each take got (its own unit: m of line or
                  track);
    ``details``   name → (n, …) array: the facts behind the margins, merged over chunks;
    ``trajectories``  per-step arrays when recorded, else None.
    """

    margins: dict[str, np.ndarray]
    ending: np.ndarray
    progress: np.ndarray
    trajectories: dict[str, np.ndarray] | None

    @property
    def details(self) -> dict[str, np.ndarray]: ...


class Model(Protocol):
    """A kind's model of one resolved scenario (picklable: it is sent to worker processes)."""

    resolved: Any
    hazards: dict[str, Hazard]

    def simulate(self, draws: dict[str, np.ndarray], n: int, *, record: bool = False,
                 first_sample: int = 0, on_step=None) -> Outcome:
        """The takes of ``draws`` (path → (n,) array), to the end. ``on_step``, when
        given, is called once per time step as ``on_step(step, n_steps, running)``
        (``running``: the takes still under way) for a progress bar
        (:mod:`stuntsim.progress`); it must change nothing."""
        ...

    def completion_advice(self, progress: np.ndarray) -> str:
        """What to change when takes run out of simulated time (``progress`` of those)."""
        ...


@dataclass(frozen=True)
class MatrixInput:
    """What a kind says about one hazard's severity for the risk matrix.

    ``given``: P(outcome | hazard) for "fatality" and "serious_injury" (None: no relation),
    or None when the hazard is not rated (``not_rated`` says why); ``note``: where the
    numbers come from; ``lower_bound``: outcomes whose relation is only a lower bound.
    """

    given: dict[str, float | None] | None
    note: str | None = None
    lower_bound: tuple[str, ...] = ()
    not_rated: str | None = None


class StuntKind:
    """The interface of a stunt kind; the defaults say "nothing of the kind" where a kind
    has nothing to add. A kind is a stateless singleton registered in
    :mod:`stuntsim.kinds`."""

    #: ``kind:`` in scenario files
    name: ClassVar[str]
    #: the scenario schema (a ScenarioBase subclass with ``kind: Literal[name]``)
    schema: ClassVar[type]
    #: hazard → {"who", "fatality", "serious_injury"}: who is hurt and which relation gives
    #: P(death) / P(serious injury) (None: no relation)
    harm_relations: ClassVar[Mapping[str, Mapping[str, str | None]]]
    #: the SI units of summary.json's parameters, in words
    units: ClassVar[str] = "SI (m, s, kg, rad, N, W)"
    #: the word for a take in the terminal table
    take: ClassVar[str] = "takes"
    #: core-seconds per take and time step in the batched regime (a run's time estimate,
    #: :mod:`stuntsim.budget`; each kind states where its figure was measured)
    take_step_seconds: ClassVar[float] = 2e-6
    #: peak bytes per take of a chunk being simulated (the same)
    chunk_bytes_per_take: ClassVar[int] = 32_000
    #: bytes a take keeps in the result: margins, facts, draws (the same)
    kept_bytes_per_take: ClassVar[int] = 2_000

    # ------------------------------------------------------------------ the model
    def model(self, resolved) -> Model:
        raise NotImplementedError

    def plan_warnings(self, resolved, model) -> list[str]:
        """Warnings about a plan that is doubtful but not invalid, before any run (shown by
        ``stuntsim validate`` and each run); a :class:`~stuntsim.errors.ScenarioError` for
        one that cannot be built at all."""
        return []

    def per_take_paths(self, resolved) -> frozenset[str]:
        """The numeric paths whose nominal values this kind's model reads **only take by
        take**, through its per-take lookup (``model.read_paths``), and nowhere else: not
        in the scene, the line, the track, the time grid, nor in any choice made once for
        a whole batch of takes.

        Variants that differ only in these values (and in the spreads around them) may
        therefore share one model call, each take carrying its own variant's value as if
        it were a draw (:mod:`stuntsim.studies.variants`): each take's numbers are bit for
        bit those of its variant's own run. The default, no path, keeps every variant in
        its own run. A kind that lists a path here has a test that moves all of them at
        once and compares the shared call with the separate runs
        (tests/test_stacked_variants.py)."""
        return frozenset()

    def fixed_memory(self, resolved) -> int:
        """Bytes of what the model builds once per process before its first take (a car's
        distance grids), computed without building it."""
        return 0

    def grid_resolution(self, resolved) -> float:
        """Spacing of the grids :meth:`fixed_memory` counts [m] (for the message)."""
        return 0.0

    def finish(self, result, model, keep: int) -> None:
        """Complete a run's result: the kind's facts (``result.facts``), the trajectories
        of a few takes for the figures, warnings found after the run."""

    # ------------------------------------------------------------------ harm and the matrix
    def harm(self, result) -> dict[str, dict[str, np.ndarray]]:
        """Per take, P(death) and P(serious injury) for each hazard (0 where it did not
        happen, NaN throughout where the hazard has no relation)."""
        raise NotImplementedError

    def matrix_input(self, result, name: str, happened: np.ndarray) -> MatrixInput:
        raise NotImplementedError

    # ------------------------------------------------------------------ the report
    def hazard_facts(self, result, name: str) -> dict[str, Any]:
        """The kind's facts about one hazard for summary.json (what was hit, how fast…)."""
        return {}

    def summary_sections(self, result) -> dict[str, Any]:
        """Top-level sections of summary.json that only this kind has."""
        return {}

    def all_hazards(self) -> dict[str, Hazard]:
        """Every hazard this kind can report (a scenario reports those that apply to it:
        no ``departure`` without a drop); for the command line's help."""
        raise NotImplementedError

    def take_facts(self, result) -> dict[str, tuple[np.ndarray, str]]:
        """Per-take facts for the takes table (:mod:`stuntsim.takes`): column name →
        ((n,) values in the unit named, unit; "" for names and words). What was hit, how
        fast, where; the drawn inputs, margins and outcomes are added by the table."""
        return {}

    def sub_rows(self, result, info: dict, name: str) -> list[tuple[str, dict]]:
        """Rows under a hazard in the terminal table (label, summary-like entry)."""
        return []

    def table_notes(self, result, info: dict) -> list[str]:
        """Lines after the hazard table (what was hit, where takes went wrong…)."""
        return []

    def closing_lines(self, result, info: dict) -> list[str]:
        """Lines at the end of the terminal table."""
        return []

    def terminal_sections(self, result) -> list[str]:
        """Blocks printed after the table by ``stuntsim run`` (e.g. a car's field of view)."""
        return []

    def failures_csv(self, result) -> str:
        """One row per failing take and hazard, with its drawn inputs."""
        raise NotImplementedError

    def figure_builders(self, result, info: dict) -> dict[str, Callable[[], Any]]:
        """The kind's own figures, each a function returning a matplotlib Figure."""
        return {}

    def animation(self, result, takes: list[int], trajectories: dict[str, np.ndarray], *,
                  reasons: list[str | None] | None = None, fps: float = 10.0):
        """An animation of chosen takes (:class:`stuntsim.plots.animation.Animation`) from
        their recorded steps (``trajectories``: key → (len(takes), …, T), rows in the
        order of ``takes``, as the model records them); ``reasons``: the hazard each take
        was chosen for, or None."""
        raise NotImplementedError(f"the {self.name} kind has no animation of its takes")


def harm_fact(details: Mapping[str, np.ndarray], key: str, happened: np.ndarray,
              hazard: str) -> np.ndarray:
    """The fact behind a hazard's harm (an impact speed, a fall height) where it happened,
    0 elsewhere; a missing (NaN) fact in a take where the hazard happened is a model
    error, raised as :class:`~stuntsim.errors.NumericalError` naming the take — never a
    zero that would read as a harmless impact."""
    values = np.asarray(details[key], dtype=float)
    missing = np.flatnonzero(happened & ~np.isfinite(values))
    if missing.size:
        raise NumericalError(
            f"{hazard} happened in sample {missing[0]} but its {key} is {values[missing[0]]} "
            f"({missing.size} sample(s)): the harm cannot be rated",
            sample=int(missing[0]),
        )
    return np.where(happened, values, 0.0)
