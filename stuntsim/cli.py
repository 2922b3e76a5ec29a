"""Command line: ``stuntsim run | validate | schema``.

Exit codes: 0 success; 2 a bad scenario or bad arguments (one readable line, no
traceback, nothing written); 3 a simulation that went numerically wrong.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import warnings
from pathlib import Path

from stuntsim import __version__

EXIT_OK, EXIT_BAD_INPUT, EXIT_NUMERICAL = 0, 2, 3


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stuntsim",
        description="Stunt-safety risk analyser: how likely a stunt is to go wrong, how, "
        "and what would make it safer.",
    )
    parser.add_argument("--version", action="version", version=f"stuntsim {__version__}")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="simulate a scenario and report its risk")
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    run.add_argument("--samples", type=_positive_int, help="Monte Carlo samples")
    run.add_argument("--seed", type=_non_negative_int, help="root seed")
    run.add_argument("--out", type=Path, help="output folder (default: out/<scenario name>)")
    run.add_argument("--executor", choices=("auto", "serial", "process"), default="auto",
                     help="where chunks run (default auto: a local process pool when the "
                     "run has several chunks)")
    run.add_argument("--workers", type=_positive_int, help="process-pool size")
    run.add_argument("--no-plots", action="store_true", help="write no figures")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=_cmd_run)

    env = sub.add_parser("envelope", help="the largest (or smallest) value of a planned "
                         "parameter that keeps a hazard below a target")
    env.add_argument("scenario", type=Path)
    env.add_argument("--param", required=True, help="dotted path, e.g. maneuver.entry_speed")
    env.add_argument("--range", required=True, dest="value_range",
                     help='values to try, "LOW:HIGH" with units, e.g. "20 km/h:60 km/h"')
    env.add_argument("--steps", type=_positive_int, default=9, help="values in the range")
    env.add_argument("--target", type=float, required=True,
                     help="acceptable probability per take, e.g. 1e-3")
    env.add_argument("--hazard", default="any", help="hazard name (default: any hazard)")
    env.add_argument("--param2", help="a second parameter for a 2-D map")
    env.add_argument("--range2", dest="value_range2", help="its range")
    env.add_argument("--samples", type=_positive_int, help="samples per value")
    env.add_argument("--seed", type=_non_negative_int, help="root seed")
    env.add_argument("--out", type=Path, help="output folder (default: out/<scenario>)")
    env.set_defaults(handler=_cmd_envelope)

    validate = sub.add_parser("validate", help="check a scenario file and say what is wrong")
    validate.add_argument("scenario", type=Path)
    validate.set_defaults(handler=_cmd_validate)

    schema = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.add_argument("--out", type=Path, help="write to this file instead of stdout")
    schema.set_defaults(handler=_cmd_schema)
    return parser


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be ≥ 0, got {text}")
    return value


def _error(message: str, code: int) -> int:
    print(f"stuntsim: error: {message}", file=sys.stderr)
    return code


def _cmd_validate(args) -> int:
    from stuntsim.scenario import ScenarioError, load_scenario

    try:
        resolved = load_scenario(args.scenario)
    except ScenarioError as err:
        return _error(str(err), EXIT_BAD_INPUT)
    spec = resolved.scenario
    print(
        f"{args.scenario}: ok — kind {spec.kind}, '{spec.name}', "
        f"{len(resolved.distributions)} uncertain parameters, {spec.samples} samples by default"
    )
    return EXIT_OK


def _cmd_schema(args) -> int:
    from stuntsim.scenario import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        from stuntsim.report import write_atomic

        write_atomic(args.out, text.encode())
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _cmd_run(args) -> int:
    from stuntsim.car.dynamics import NumericalError
    from stuntsim.report import format_table, write_atomic, write_summary
    from stuntsim.runner import StuntWarning, run
    from stuntsim.scenario import ScenarioError, load_scenario

    try:
        resolved = load_scenario(args.scenario)
    except ScenarioError as err:
        return _error(str(err), EXIT_BAD_INPUT)
    out_dir = args.out or Path("out") / args.scenario.stem
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StuntWarning)  # reported in the summary instead
            result = run(
                resolved,
                samples=args.samples,
                seed=args.seed,
                executor=args.executor,
                workers=args.workers,
                progress=not args.quiet and sys.stderr.isatty(),
            )
    except NumericalError as err:
        return _error(f"{args.scenario}: the simulation went numerically wrong: {err}",
                      EXIT_NUMERICAL)
    figures = {} if args.no_plots else render_figures(result)
    print(format_table(result))
    written = write_summary(result, out_dir)
    for name, data in figures.items():
        target = out_dir / f"{name}.png"
        write_atomic(target, data)
        written.append(target)
    print(f"\nwrote {', '.join(str(path) for path in written)}")
    return EXIT_OK


def _cmd_envelope(args) -> int:
    from matplotlib.figure import Figure

    from stuntsim import plots
    from stuntsim.envelope import envelope, envelope_2d, parse_range
    from stuntsim.report import write_atomic
    from stuntsim.scenario import ScenarioError, load_scenario

    try:
        resolved = load_scenario(args.scenario)
        if args.param not in resolved.dimensions:
            raise ScenarioError(f"{args.param!r} names no numeric field of the scenario",
                                source=str(args.scenario), field="--param")
        values = parse_range(args.value_range, resolved.dimensions[args.param], args.steps)
        values2 = None
        if args.param2:
            if args.param2 not in resolved.dimensions or not args.value_range2:
                raise ScenarioError("--param2 needs a numeric field and --range2",
                                    source=str(args.scenario), field="--param2")
            values2 = parse_range(args.value_range2, resolved.dimensions[args.param2],
                                  args.steps)
        common = dict(target=args.target, hazard=args.hazard, samples=args.samples,
                      seed=args.seed)
        result = envelope(resolved, args.param, values, **common)
        result2 = (envelope_2d(resolved, args.param, values, args.param2, values2, **common)
                   if values2 is not None else None)
    except (ScenarioError, ValueError) as err:
        return _error(str(err), EXIT_BAD_INPUT)
    print(result.describe())
    for note in result.notes:
        print(f"note: {note}")
    out_dir = args.out or Path("out") / args.scenario.stem
    data = {"envelope": result.to_dict()}
    figure = Figure(figsize=(8, 5), layout="constrained")
    plots.plot_envelope(figure.add_subplot(), result)
    figures = {"envelope": _png(figure)}
    if result2 is not None:
        data["envelope_2d"] = result2.to_dict()
        figure = Figure(figsize=(8, 6), layout="constrained")
        plots.plot_envelope_2d(figure.add_subplot(), result2)
        figures["envelope_2d"] = _png(figure)
    write_atomic(out_dir / "envelope.json",
                 (json.dumps(data, indent=2, allow_nan=False) + "\n").encode())
    written = [out_dir / "envelope.json"]
    for name, png in figures.items():
        write_atomic(out_dir / f"{name}.png", png)
        written.append(out_dir / f"{name}.png")
    print(f"wrote {', '.join(str(path) for path in written)}")
    return EXIT_OK


def _png(figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=130, bbox_inches="tight")
    return buffer.getvalue()


def render_figures(result) -> dict[str, bytes]:
    """The run's figures as PNG bytes (rendered off-screen, without pyplot)."""
    from matplotlib.figure import Figure

    from stuntsim import plots

    png = _png
    out = {}
    figure = Figure(figsize=(9, 9), layout="constrained")
    plots.plot_scene(figure.add_subplot(), result)
    out["scene"] = png(figure)

    figure = Figure(figsize=(8, 4.5), layout="constrained")
    plots.plot_clearance(figure.add_subplot(), result)
    out["clearance"] = png(figure)

    figure = Figure(figsize=(9, 8), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True)
    plots.plot_speed_profile(top, result)
    plots.plot_lateral_acceleration(bottom, result)
    out["speed_and_grip"] = png(figure)

    figure = Figure(figsize=(8, 4), layout="constrained")
    plots.plot_hazard_probabilities(figure.add_subplot(), result)
    out["hazards"] = png(figure)
    return out


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
