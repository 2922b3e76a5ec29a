"""Command line: ``stuntsim run | validate | schema``.

Exit codes: 0 success; 2 a bad scenario or bad arguments (one readable line, no
traceback, nothing written); 3 a simulation that went numerically wrong.
"""

from __future__ import annotations

import argparse
import io
import json
import math
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
    run.add_argument("--method", choices=("mc", "qmc", "subset"), default="mc",
                     help="crude Monte Carlo (default), randomised quasi-MC, or subset "
                     "simulation for rare hazards")
    run.add_argument("--hazard", help="with qmc/subset: the hazard to estimate "
                     "(default: each in turn)")
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

    sens = sub.add_parser("sensitivity", help="which uncertain input drives a hazard "
                          "(Sobol indices and a rank-correlation screen)")
    sens.add_argument("scenario", type=Path)
    sens.add_argument("--hazard", default="collision", help="hazard whose margin is explained")
    sens.add_argument("--samples", type=_positive_int, default=512,
                      help="base sample size n, a power of two; the model runs n·(d+2) times")
    sens.add_argument("--seed", type=_non_negative_int, help="root seed")
    sens.add_argument("--out", type=Path, help="output folder (default: out/<scenario>)")
    sens.set_defaults(handler=_cmd_sensitivity)

    cmp_ = sub.add_parser("compare", help="a baseline and its variants on common random "
                          "numbers: does a mitigation really help?")
    cmp_.add_argument("scenarios", type=Path, nargs="+",
                      help="BASE.yaml [VARIANT.yaml ...]; the baseline's own `variants:` "
                      "are compared too")
    cmp_.add_argument("--samples", type=_positive_int, help="samples per variant")
    cmp_.add_argument("--seed", type=_non_negative_int, help="root seed (shared)")
    cmp_.add_argument("--out", type=Path, help="output folder (default: out/<baseline>)")
    cmp_.set_defaults(handler=_cmd_compare)

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
    from stuntsim.report import format_table, summary, write_summary
    from stuntsim.runner import StuntWarning, run
    from stuntsim.scenario import ScenarioError, load_scenario

    try:
        resolved = load_scenario(args.scenario)
    except ScenarioError as err:
        return _error(str(err), EXIT_BAD_INPUT)
    out_dir = args.out or Path("out") / args.scenario.stem
    if resolved.scenario.kind == "train":
        if args.method != "mc":
            return _error(f"--method {args.method} is for car scenarios so far; the train "
                          f"roof runs with --method mc", EXIT_BAD_INPUT)
        return _run_train(args, resolved, out_dir)
    if args.method != "mc":
        return _run_estimator(args, resolved, out_dir)
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
    info = summary(result)  # built once for the table, the file and the figures
    figures = {} if args.no_plots else render_figures(result, info)
    print(format_table(result, info))
    if resolved.scenario.rig.active_mounts():
        from stuntsim.car.field_of_view import field_of_view, format_field_of_view

        print()
        print(format_field_of_view(field_of_view(resolved)))
    _write_figures(out_dir, figures, write_summary(result, out_dir, info))
    return EXIT_OK


def _write_figures(out_dir: Path, figures: dict[str, bytes], written: list[Path]) -> None:
    """Write each PNG atomically to ``out_dir`` and say what was written."""
    from stuntsim.report import write_atomic

    for name, data in figures.items():
        target = out_dir / f"{name}.png"
        write_atomic(target, data)
        written.append(target)
    print(f"\nwrote {', '.join(str(path) for path in written)}")


def _car_only(resolved, command: str, path) -> None:
    """Refuse a train scenario in a command that only knows the car model so far."""
    from stuntsim.scenario import ScenarioError

    if resolved.scenario.kind != "car":
        raise ScenarioError(f"`stuntsim {command}` works on car scenarios so far; this is "
                            f"a {resolved.scenario.kind} scenario (use `stuntsim run`)",
                            source=str(path), field="kind")


def _run_train(args, resolved, out_dir: Path) -> int:
    """``run`` for a ``kind: train`` scenario (its own summary, table and figures)."""
    from stuntsim.runner import StuntWarning
    from stuntsim.train import plots as train_plots
    from stuntsim.train import report as train_report
    from stuntsim.train.model import NumericalError as TrainNumericalError
    from stuntsim.train.runner import run as run_train

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StuntWarning)  # reported in the summary instead
            result = run_train(resolved, samples=args.samples, seed=args.seed,
                               executor=args.executor, workers=args.workers,
                               progress=not args.quiet and sys.stderr.isatty())
    except TrainNumericalError as err:
        return _error(f"{args.scenario}: the simulation went numerically wrong: {err}",
                      EXIT_NUMERICAL)
    info = train_report.summary(result)
    figures = {} if args.no_plots else {
        name: _png(figure) for name, figure in train_plots.render_figures(result).items()
    }
    print(train_report.format_table(result, info))
    _write_figures(out_dir, figures, train_report.write_summary(result, out_dir, info))
    return EXIT_OK


def _run_estimator(args, resolved, out_dir: Path) -> int:
    """``run --method qmc|subset``: one hazard at a time (margins have different units).

    A subset run that did not converge (stuntsim.risk.subset: stalled or tied levels,
    frozen chains, replicates that disagree, …) reports crude Monte Carlo on fresh samples
    instead; its row says so, a warning names the rule, and summary.json carries the
    status under the hazard and in a top-level ``warnings`` list.
    """
    from stuntsim import __version__
    from stuntsim.car.dynamics import NumericalError
    from stuntsim.car.model import CarModel
    from stuntsim.report import write_atomic
    from stuntsim.studies import rare_event

    known = CarModel(resolved).hazards
    hazards = [args.hazard] if args.hazard else list(known)
    unknown = [name for name in hazards if name not in known]
    if unknown:
        return _error(f"unknown hazard {unknown[0]!r}: one of {list(known)}",
                      EXIT_BAD_INPUT)
    seed = resolved.scenario.seed if args.seed is None else args.seed
    size = args.samples or (1000 if args.method == "subset" else 1024)
    if args.method == "qmc" and size & (size - 1):
        return _error(f"--samples must be a power of two for qmc, got {size}", EXIT_BAD_INPUT)
    results = {}
    run_warnings: list[str] = []
    print(f"{resolved.scenario.name}: {args.method}, seed {seed}")
    print(f"{'hazard':<18} {'probability':>11}  {'95 % interval':<24} {'CoV':>6} "
          f"{'evaluations':>11}  status")
    for name in hazards:
        try:
            if args.method == "subset":
                result = rare_event(resolved, name, method="subset", n_per_level=size,
                                    seed=seed)
            else:
                result = rare_event(resolved, name, method="qmc", n_qmc=size, seed=seed)
        except NumericalError as err:
            return _error(f"{args.scenario}: the simulation went numerically wrong: {err}",
                          EXIT_NUMERICAL)
        except ValueError as err:  # e.g. a hazard with no finite margin in this scenario
            print(f"{name:<18} skipped: {err}")
            continue
        results[name] = result.to_dict()
        probability = result.probability
        if args.method == "subset":
            cov = result.cov
            status = "converged" if result.converged else (
                f"NOT CONVERGED: crude MC, {result.fallback_failures} of "
                f"{result.fallback_samples} failed")
        else:
            cov = result.std_error / probability if probability > 0 else math.inf
            status = ""
        lo, hi = result.ci95
        cov_text = f"{cov:.2f}" if math.isfinite(cov) else "n/a"
        interval = f"[{lo:.3g}, {hi:.3g}]"
        print(f"{name:<18} {probability:>11.3g}  {interval:<24} {cov_text:>6} "
              f"{result.evaluations:>11}  {status}")
        if args.method == "subset" and not result.converged:
            message = f"{name}: subset simulation did not converge; {result.summary()}"
            run_warnings.append(message)
            results[name]["warning"] = message
    for message in run_warnings:
        print(f"warning: {message}", file=sys.stderr)
    info = {
        "scenario": resolved.scenario.name,
        "scenario_file": resolved.source,
        "scenario_sha256": resolved.sha256,
        "stuntsim_version": __version__,
        "method": args.method,
        "seed": seed,
        "model_evaluations": sum(r["evaluations"] for r in results.values()),
        "warnings": run_warnings,
        "hazards": results,
    }
    write_atomic(out_dir / "summary.json",
                 (json.dumps(info, indent=2, allow_nan=False) + "\n").encode())
    print(f"\nwrote {out_dir / 'summary.json'}")
    return EXIT_OK


def _cmd_compare(args) -> int:
    from matplotlib.figure import Figure

    from stuntsim import plots
    from stuntsim.compare import compare
    from stuntsim.report import write_atomic
    from stuntsim.scenario import ScenarioError, load_scenario

    try:
        variants = [load_scenario(path) for path in args.scenarios]
        for path, variant in zip(args.scenarios, variants, strict=True):
            _car_only(variant, "compare", path)
    except ScenarioError as err:
        return _error(str(err), EXIT_BAD_INPUT)
    names = [path.stem for path in args.scenarios]
    # variants declared inside the baseline file come after the files given
    inline = variants[0].scenario.variants
    variants += [variants[0].variant(name) for name in inline]
    names += list(inline)
    if len(variants) < 2:
        return _error("compare needs a baseline and at least one variant (another file, "
                      "or `variants:` in the baseline file)", EXIT_BAD_INPUT)
    result = compare(variants, names=names, samples=args.samples, seed=args.seed)
    print(result.table())
    out_dir = args.out or Path("out") / args.scenarios[0].stem
    figure = Figure(figsize=(16, 1.4 + 0.6 * len(names)), layout="constrained")
    left, right = figure.subplots(1, 2)
    plots.plot_comparison(left, result)
    plots.plot_comparison_harm(right, result)
    write_atomic(out_dir / "comparison.json",
                 (json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n").encode())
    write_atomic(out_dir / "comparison.png", _png(figure))
    print(f"\nwrote {out_dir / 'comparison.json'}, {out_dir / 'comparison.png'}")
    return EXIT_OK


def _cmd_envelope(args) -> int:
    from matplotlib.figure import Figure

    from stuntsim import plots
    from stuntsim.envelope import envelope, envelope_2d, parse_range
    from stuntsim.report import write_atomic
    from stuntsim.scenario import ScenarioError, load_scenario

    try:
        resolved = load_scenario(args.scenario)
        _car_only(resolved, "envelope", args.scenario)
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


def _cmd_sensitivity(args) -> int:
    from matplotlib.figure import Figure

    from stuntsim import plots
    from stuntsim.report import write_atomic
    from stuntsim.scenario import ScenarioError, describe_path, load_scenario
    from stuntsim.studies import sensitivity

    try:
        resolved = load_scenario(args.scenario)
        _car_only(resolved, "sensitivity", args.scenario)
        if args.samples & (args.samples - 1):
            raise ValueError(f"--samples must be a power of two, got {args.samples}")
        result = sensitivity(resolved, args.hazard, n=args.samples, seed=args.seed)
    except (ScenarioError, ValueError) as err:
        return _error(str(err), EXIT_BAD_INPUT)
    labels = {name: describe_path(resolved.scenario, name) for name in result.names}
    sobol = result.sobol
    print(f"What drives {args.hazard} ({sobol.evaluations} runs, seed {result.seed}):")
    print(f"{'input':<66} {'total':>6} {'first':>6} {'ρ':>6}")
    for name in result.ranking():
        i = result.names.index(name)
        rho = result.screen[name][0]
        print(f"{labels[name][:66]:<66} {sobol.total_order[i]:>6.2f} "
              f"{sobol.first_order[i]:>6.2f} {rho:>6.2f}")
    out_dir = args.out or Path("out") / args.scenario.stem
    data = result.to_dict()
    for name, entry in data["inputs"].items():
        entry["description"] = labels[name]
    figure = Figure(figsize=(9, 6), layout="constrained")
    plots.plot_sensitivity(figure.add_subplot(), result, labels=labels)
    write_atomic(out_dir / "sensitivity.json",
                 (json.dumps(data, indent=2, allow_nan=False) + "\n").encode())
    write_atomic(out_dir / "sensitivity.png", _png(figure))
    print(f"wrote {out_dir / 'sensitivity.json'}, {out_dir / 'sensitivity.png'}")
    return EXIT_OK


def _png(figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=130, bbox_inches="tight")
    return buffer.getvalue()


def render_figures(result, info: dict | None = None) -> dict[str, bytes]:
    """The run's figures as PNG bytes (rendered off-screen, without pyplot).

    ``info`` is the run's summary (:func:`stuntsim.report.summary`), computed if not given.
    """
    from matplotlib.figure import Figure

    from stuntsim import plots
    from stuntsim.report import summary

    out = {}
    wide = bool(result.street.drops or result.street.barriers)  # legend beside the scene
    figure = Figure(figsize=(13, 9) if wide else (9, 9), layout="constrained")
    plots.plot_scene(figure.add_subplot(), result)
    out["scene"] = _png(figure)

    figure = Figure(figsize=(8, 4.5), layout="constrained")
    plots.plot_clearance(figure.add_subplot(), result)
    out["clearance"] = _png(figure)

    if "departure" in result.hazards:
        figure = Figure(figsize=(8, 4.5), layout="constrained")
        plots.plot_clearance(figure.add_subplot(), result, hazard="departure")
        out["edge_clearance"] = _png(figure)

    figure = Figure(figsize=(9, 8), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True)
    plots.plot_speed_profile(top, result)
    plots.plot_lateral_acceleration(bottom, result)
    out["speed_and_grip"] = _png(figure)

    figure = Figure(figsize=(8, 4), layout="constrained")
    plots.plot_hazard_probabilities(figure.add_subplot(), result)
    out["hazards"] = _png(figure)

    figure = Figure(figsize=(9.5, 5.5), layout="constrained")
    plots.plot_risk_matrix(figure.add_subplot(), info if info is not None else summary(result))
    out["risk_matrix"] = _png(figure)

    scenario = result.resolved.scenario
    if scenario.rig.active_mounts() or scenario.street.people_stepping_out:
        from stuntsim.car.field_of_view import field_of_view

        figure = Figure(figsize=(13, 6.5), layout="constrained")
        left, right = figure.subplots(1, 2, subplot_kw={"projection": "polar"})
        plots.plot_field_of_view(left, field_of_view(result.resolved, person_height=1.7))
        plots.plot_field_of_view(right, field_of_view(result.resolved, person_height=1.0))
        out["field_of_view"] = _png(figure)
    if scenario.street.people_stepping_out and result.trajectories:
        figure = Figure(figsize=(9, 8), layout="constrained")
        plots.plot_sight_lines(figure.add_subplot(), result)
        out["sight_lines"] = _png(figure)
        figure = Figure(figsize=(10, 7), layout="constrained")
        plots.plot_detection_timeline(figure.add_subplot(), result)
        out["detection_timeline"] = _png(figure)
    return out


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
