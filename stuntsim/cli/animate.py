"""``stuntsim animate DIR --take N [N ...]``, and the animation of the worst takes that
``stuntsim run`` writes (``worst_takes.gif``, ``.mp4`` too when FFmpeg is on the PATH).

An animation that cannot be drawn is a warning, never a lost run (as a figure); a take
out of range or a folder that is not a run is one line and exit 2, nothing written.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from stuntsim.cli.common import EXIT_BAD_INPUT, EXIT_OK, _error, _warn

__all__ = ["ANIMATION_NAME", "add_options"]

ANIMATION_NAME = "worst_takes"


def _take(text: str) -> int:
    """A take number (0 … samples − 1 of the run: checked against it)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a take number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"take numbers start at 0, got {text}")
    return value


def add_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("directory", type=Path,
                         help="the folder `stuntsim run --out` wrote")
    command.add_argument("--take", type=_take, nargs="+", required=True, metavar="N",
                         help="the takes to animate, numbered from 0 as in samples.parquet "
                         "and failures.csv (at most 6)")
    command.add_argument("--out", type=Path,
                         help="the file to write: .gif, or .mp4 with ffmpeg on the PATH "
                         "(default: DIR/take_N.gif, DIR/takes_N_M.gif)")
    command.add_argument("--fps", type=float, default=10.0,
                         help="frames per second, 2…25 (default: 10)")


def _cmd_animate(args) -> int:
    from stuntsim.outputs import write_atomic
    from stuntsim.plots.animation import ffmpeg_available
    from stuntsim.report.animation import MAX_TAKES, animate
    from stuntsim.runner import load_result

    folder = args.directory
    if not (folder.is_dir() and (folder / "result.npz").is_file()
            and (folder / "scenario.yaml").is_file()):
        return _error(f"{folder}: not the folder of a finished run (no result.npz and "
                      f"scenario.yaml here); give the folder `stuntsim run --out` wrote",
                      EXIT_BAD_INPUT)
    takes = list(dict.fromkeys(args.take))
    if len(takes) > MAX_TAKES:
        return _error(f"animate: at most {MAX_TAKES} takes at once, got {len(takes)}",
                      EXIT_BAD_INPUT)
    if not 2.0 <= args.fps <= 25.0:
        return _error(f"animate: --fps must be 2…25, got {args.fps:g}", EXIT_BAD_INPUT)
    name = (f"take_{takes[0]}" if len(takes) == 1
            else f"takes_{'_'.join(str(take) for take in takes)}")
    out = args.out or folder / f"{name}.gif"
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("gif", "mp4"):
        return _error(f"animate: --out must end in .gif or .mp4, got {out.name}",
                      EXIT_BAD_INPUT)
    if fmt == "mp4" and not ffmpeg_available():
        return _error("animate: an MP4 needs ffmpeg on the PATH, and there is none: write a "
                      ".gif", EXIT_BAD_INPUT)
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK):
        return _error(f"animate: cannot write {out} (not a writable folder, or a folder "
                      f"itself)", EXIT_BAD_INPUT)
    result = load_result(folder)  # a folder it cannot trust: ScenarioError, exit 2
    outside = [take for take in takes if take >= result.samples]
    if outside:
        return _error(f"animate: take {outside[0]} is out of range: the run in {folder} has "
                      f"{result.samples} takes (0…{result.samples - 1})", EXIT_BAD_INPUT)
    animation, notes = animate(result, takes, fps=args.fps)
    data = animation.encode([fmt])[fmt]
    _warn(notes)
    write_atomic(out, data)
    print(f"wrote {out}: {len(takes)} take{'s' if len(takes) > 1 else ''}, "
          f"{animation.n_frames} frames, {animation.duration:.1f} s, "
          f"{len(data) / 1e6:.2f} MB")
    return EXIT_OK


def _worst_takes(result) -> tuple[dict[str, bytes], dict[str, tuple[str, bytes]], list[str]]:
    """The run's animation of its worst takes: the files (``worst_takes.gif``, and
    ``.mp4`` with FFmpeg), the GIF for report.html, and warnings. One that cannot be
    drawn is a warning naming it, never a lost run."""
    from stuntsim.report.animation import animation_files

    try:
        files, notes = animation_files(result, stem=ANIMATION_NAME)
    except Exception as err:
        return {}, {}, [f"the animation {ANIMATION_NAME}.gif could not be drawn "
                        f"({type(err).__name__}: {err}); the results are written without it"]
    gif = files.get(f"{ANIMATION_NAME}.gif")
    return files, ({ANIMATION_NAME: ("gif", gif)} if gif else {}), notes
