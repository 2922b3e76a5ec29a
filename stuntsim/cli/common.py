"""What the commands share: exit codes, argument types and bounds, the executor options,
errors and warnings on the terminal, and writing a command's files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT, EXIT_NUMERICAL = 0, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a program stopped by Ctrl-C
MAX_WORKERS = 1024  # processes on one machine
MAX_STEPS = 1001  # values of an envelope sweep
MAX_SOBOL_BASE = 2**20  # Sobol' base sample size: n (d + 2) model runs


def _executor_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--executor", choices=("auto", "serial", "process", "dask"), default="auto",
        help="where the takes run (default auto: a local process pool when there are "
        "several chunks and cores; dask: a Dask cluster, local unless --scheduler); the "
        "results are the same everywhere")
    command.add_argument("--workers", type=_bounded(1, MAX_WORKERS),
                         help="local worker processes (process pool or local Dask cluster)")
    command.add_argument("--scheduler", metavar="ADDRESS",
                         help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (with "
                         "--executor dask)")


def _executor(args) -> dict:
    """The executor keywords of a study, checked before any work."""
    if args.scheduler is not None and args.executor != "dask":
        raise _BadArguments("--scheduler needs --executor dask")
    if args.executor == "dask":
        import importlib.util

        if importlib.util.find_spec("distributed") is None:
            raise _BadArguments("--executor dask needs Dask distributed: "
                                "pip install 'stuntsim[dask]'")
    return {"executor": args.executor, "workers": args.workers,
            "scheduler": args.scheduler}


class _BadArguments(Exception):
    """Arguments that do not go together (exit 2, one line)."""


def _whole(text: str, low: int, high: int) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be {low}…{high:,}, got {text}")
    return value


def _bounded(low: int, high: int):
    """An argparse type: a whole number in [low, high]."""

    def parse(text: str) -> int:
        return _whole(text, low, high)

    parse.__name__ = f"whole number {low}…{high}"
    return parse


def _samples(text: str) -> int:
    """Takes: 1 … MAX_SAMPLES, the same bound as a scenario file's ``samples``."""
    from stuntsim.scenario import MAX_SAMPLES

    return _whole(text, 1, MAX_SAMPLES)


def _seed(text: str) -> int:
    """A seed: 0 … MAX_SEED, the same bound as a scenario file's ``seed``."""
    from stuntsim.scenario import MAX_SEED

    return _whole(text, 0, MAX_SEED)


def _error(message: str, code: int) -> int:
    print(f"stuntsim: error: {message}", file=sys.stderr)
    return code


def _warn(notes: list[str]) -> None:
    """Warnings go to stderr as well as into the table, so a piped run still shows them."""
    for note in notes:
        print(f"stuntsim: warning: {note}", file=sys.stderr)


def _commit(out_dir: Path, command: str, files: dict[str, bytes]) -> list[Path]:
    """Write a command's files into ``out_dir`` as a whole and say what was written."""
    from stuntsim.outputs import OutputDir, owned_by

    output = OutputDir(out_dir, owned_by(command))
    for name, data in files.items():
        output.add(name, data)
    written = output.commit()
    print(f"\nwrote {', '.join(str(path) for path in written)}")
    return written


def _draw(builders, fmt: str = "png"
          ) -> tuple[dict[str, bytes], dict[str, tuple[str, bytes]], list[str]]:
    """Each figure as a file in ``fmt`` (name.fmt → bytes) and for the report (name →
    (png|svg, bytes): a PDF figure is embedded as PNG); one that cannot be drawn is a
    warning naming it, never a lost run (the results are written without it)."""
    from stuntsim.report.figures import figure_bytes

    files, embedded, notes = {}, {}, []
    for name, build in builders.items():
        try:
            figure = build()
            data = figure_bytes(figure, fmt)
            files[f"{name}.{fmt}"] = data
            embedded[name] = (("svg", data) if fmt == "svg" else
                              ("png", data if fmt == "png" else figure_bytes(figure, "png")))
        except Exception as err:
            notes.append(f"the figure {name}.{fmt} could not be drawn "
                         f"({type(err).__name__}: {err}); the results are written without it")
    return files, embedded, notes


def _format_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--format", choices=("png", "svg", "pdf"), default="png",
                         dest="figure_format",
                         help="the figures' file format (default: png; report.html embeds "
                         "png or svg)")




def _json(data: dict) -> bytes:
    return (json.dumps(data, indent=2, allow_nan=False) + "\n").encode()



def _progress_options(command: argparse.ArgumentParser) -> None:
    group = command.add_mutually_exclusive_group()
    group.add_argument("--progress", action="store_true",
                       help="show progress bars even when stderr is not a terminal")
    group.add_argument("--quiet", action="store_true",
                       help="no progress bars (default: shown on a terminal)")


def _progress(args) -> bool:
    return bool(args.progress or (not args.quiet and sys.stderr.isatty()))
