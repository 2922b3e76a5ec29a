"""A run's takes as an animation, for any stunt kind: which takes to show, their recorded
steps (kept by the run, or replayed exactly), and the files (``worst_takes.gif``, and
``.mp4`` when FFmpeg is on the PATH).

The kind draws (:meth:`StuntKind.animation`); the frames and the writers are shared
(:mod:`stuntsim.plots.animation`); a take the run did not keep whole is simulated again
from the run's seed (:func:`stuntsim.runner.replay`), and a replayed take whose margins
differ from the saved ones is said, never shown as the run's.
"""

from __future__ import annotations

import numpy as np

from stuntsim.kinds import kind_of
from stuntsim.plots.animation import Animation
from stuntsim.risk.montecarlo import failed
from stuntsim.runner import replay

__all__ = ["MAX_TAKES", "animate", "animation_files", "take_trajectories",
           "worst_takes"]

#: Takes in one animation (panels side by side, or stretches one after another).
MAX_TAKES = 6


def worst_takes(result, limit: int = 5) -> list[tuple[int, str]]:
    """The take with the smallest margin of each hazard that happened, in the order of the
    hazards, each once (take, hazard), at most ``limit``; when nothing happened, each
    hazard's closest call."""
    chosen: dict[int, str] = {}
    for name, margins in result.margins.items():
        if failed(margins).any():
            chosen.setdefault(int(np.nanargmin(margins)), name)
    if not chosen:
        for name, margins in result.margins.items():
            if np.isfinite(margins).any():
                chosen.setdefault(int(np.nanargmin(np.where(np.isfinite(margins), margins,
                                                            np.nan))), name)
    return list(chosen.items())[:limit]


def take_trajectories(result, takes) -> tuple[dict[str, np.ndarray], list[str]]:
    """The recorded steps of ``takes`` (key → (len(takes), …, T), rows in their order):
    the run's kept rows where it kept them, the others replayed
    (:func:`stuntsim.runner.replay`). Rows of different lengths are padded with their last
    step (the take is over by then). Returns them with notes on any replayed take whose
    margins differ from the run's."""
    takes = [int(take) for take in takes]
    kept = {int(sample): row for row, sample in enumerate(result.trajectory_samples)}
    missing = [take for take in takes if take not in kept]
    notes: list[str] = []
    replayed: dict[int, dict[str, np.ndarray]] = {}
    if missing:
        _, outcome = replay(result, missing)
        for name in result.hazards:
            same = np.array_equal(outcome.margins[name], result.margins[name][missing],
                                  equal_nan=True)
            if not same:
                notes.append(f"the replayed takes' {name} margins differ from the saved run's "
                             f"(another stuntsim version?): the animation shows the replay")
        replayed = {take: {key: values[i] for key, values in outcome.trajectories.items()}
                    for i, take in enumerate(missing)}
    rows = [replayed[take] if take in replayed else
            {key: values[kept[take]] for key, values in result.trajectories.items()}
            for take in takes]
    keys = set.intersection(*(set(row) for row in rows))
    length = max(row["t"].shape[-1] for row in rows)
    out = {}
    for key in sorted(keys):
        padded = []
        for row in rows:
            values = np.asarray(row[key])
            short = length - values.shape[-1]
            if key == "t" and short:  # the clock runs on at the recording's step
                step = values[-1] - values[-2] if values.size > 1 else 0.0
                values = np.concatenate([values, values[-1] + step * np.arange(1, short + 1)])
            elif short:
                width = [(0, 0)] * (values.ndim - 1) + [(0, short)]
                values = np.pad(values, width, mode="edge")
                if key in ("active", "alive"):
                    values[..., length - short:] = 0.0
            padded.append(values)
        out[key] = np.stack(padded)
    return out, notes


def animate(result, takes=None, *, fps: float = 10.0) -> tuple[Animation, list[str]]:
    """The animation of ``takes`` (default: :func:`worst_takes`), with notes (a replay
    that differs from the run)."""
    if takes is None:
        chosen = worst_takes(result)
        takes, reasons = [take for take, _ in chosen], [name for _, name in chosen]
    else:
        takes, reasons = [int(take) for take in takes], None
    if not 1 <= len(takes) <= MAX_TAKES:
        raise ValueError(f"1 to {MAX_TAKES} takes in one animation, got {len(takes)}")
    trajectories, notes = take_trajectories(result, takes)
    animation = kind_of(result.resolved).animation(result, takes, trajectories,
                                                   reasons=reasons, fps=fps)
    return animation, notes


def animation_files(result, takes=None, *, stem: str = "worst_takes", fps: float = 10.0,
                    formats=("gif", "mp4")) -> tuple[dict[str, bytes], list[str]]:
    """The animation as files (``stem.gif``, ``stem.mp4`` when FFmpeg is on the PATH),
    with notes. An MP4 that FFmpeg cannot write (no H.264 encoder…) is a note; the GIF
    stays."""
    animation, notes = animate(result, takes, fps=fps)
    files = {}
    for fmt in formats:
        try:
            files.update({f"{stem}.{kind}": data
                          for kind, data in animation.encode([fmt]).items()})
        except Exception as err:
            if fmt == "gif":
                raise
            notes.append(f"{stem}.{fmt} could not be written ({type(err).__name__}: "
                         f"{err}); {stem}.gif is")
    return files, notes
