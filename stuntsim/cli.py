"""Command line: ``stuntsim run | validate | schema``.

Exit codes: 0 success; 2 a bad scenario or bad arguments (one readable line, no
traceback, nothing written); 3 a simulation that went numerically wrong.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path

from stuntsim import __version__

EXIT_OK, EXIT_BAD_INPUT, EXIT_NUMERICAL = 0, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a program stopped by Ctrl-C
MAX_WORKERS = 1024  # processes on one machine
MAX_STEPS = 1001  # values of an envelope sweep
MAX_SOBOL_BASE = 2**20  # Sobol' base sample size: n (d + 2) model runs


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    from stuntsim.errors import (
        NumericalError,
        OutputError,
        ScenarioError,
        StuntsimError,
        StuntWarning,
    )

    try:
        with warnings.catch_warnings():
            # the commands print each result's warnings themselves (in the table, on stderr)
            warnings.simplefilter("ignore", StuntWarning)
            return args.handler(args)
    except KeyboardInterrupt:
        print("stuntsim: interrupted (nothing more was written)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _BadArguments as err:
        return _error(f"{args.command}: {err}", EXIT_BAD_INPUT)
    except (ScenarioError, OutputError) as err:
        # a bad file or argument, a run with nothing to report, an output that cannot be
        # written (the previous one left as it was)
        return _error(str(err), EXIT_BAD_INPUT)
    except NumericalError as err:
        where = f"{args.scenario}: " if getattr(args, "scenario", None) else ""
        return _error(f"{where}the simulation went numerically wrong: {err}", EXIT_NUMERICAL)
    except StuntsimError as err:  # e.g. worker processes that could not start or died
        return _error(str(err), EXIT_BAD_INPUT)


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
    run.add_argument("--samples", type=_samples, help="Monte Carlo samples")
    run.add_argument("--seed", type=_seed, help="root seed")
    run.add_argument("--out", type=Path, help="output folder (default: out/<scenario name>)")
    _executor_options(run)
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
    env.add_argument("--steps", type=_bounded(2, MAX_STEPS), default=9,
                     help="values in the range")
    env.add_argument("--target", type=float, required=True,
                     help="acceptable probability per take, e.g. 1e-3")
    env.add_argument("--hazard", default="any", help="hazard name (default: any hazard)")
    env.add_argument("--param2", help="a second parameter for a 2-D map")
    env.add_argument("--range2", dest="value_range2", help="its range")
    env.add_argument("--samples", type=_samples, help="samples per value")
    env.add_argument("--seed", type=_seed, help="root seed")
    env.add_argument("--out", type=Path, help="output folder (default: out/<scenario>)")
    _executor_options(env)
    env.set_defaults(handler=_cmd_envelope)

    sens = sub.add_parser("sensitivity", help="which uncertain input drives a hazard "
                          "(Sobol indices and a rank-correlation screen)")
    sens.add_argument("scenario", type=Path)
    sens.add_argument("--hazard", default="collision", help="hazard whose margin is explained")
    sens.add_argument("--samples", type=_bounded(2, MAX_SOBOL_BASE), default=512,
                      help="base sample size n, a power of two; the model runs n·(d+2) times")
    sens.add_argument("--seed", type=_seed, help="root seed")
    sens.add_argument("--out", type=Path, help="output folder (default: out/<scenario>)")
    _executor_options(sens)
    sens.set_defaults(handler=_cmd_sensitivity)

    cmp_ = sub.add_parser("compare", help="a baseline and its variants on common random "
                          "numbers: does a mitigation really help?")
    cmp_.add_argument("scenarios", type=Path, nargs="+",
                      help="BASE.yaml [VARIANT.yaml ...]; the baseline's own `variants:` "
                      "are compared too")
    cmp_.add_argument("--samples", type=_samples, help="samples per variant")
    cmp_.add_argument("--seed", type=_seed, help="root seed (shared)")
    cmp_.add_argument("--out", type=Path, help="output folder (default: out/<baseline>)")
    _executor_options(cmp_)
    cmp_.set_defaults(handler=_cmd_compare)

    validate = sub.add_parser("validate", help="check a scenario file and say what is wrong")
    validate.add_argument("scenario", type=Path)
    validate.set_defaults(handler=_cmd_validate)

    schema = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.add_argument("--out", type=Path, help="write to this file instead of stdout")
    schema.set_defaults(handler=_cmd_schema)
    return parser


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


def _cmd_validate(args) -> int:
    """Everything ``run`` would refuse, refused here: the file, the run's plan against the
    limits (:mod:`stuntsim.budget`) and one nominal take; doubts are warnings."""
    from stuntsim.budget import plan_run
    from stuntsim.kinds import kind_of
    from stuntsim.scenario import ScenarioError, load_scenario

    try:
        resolved = load_scenario(args.scenario)
        kind = kind_of(resolved)
        model = kind.model(resolved)
        plan = plan_run(resolved, model=model)
        if plan.problems:
            raise ScenarioError(plan.problems[0], source=resolved.source)
    except ScenarioError as err:
        return _error(str(err), EXIT_BAD_INPUT)
    _warn([*kind.plan_warnings(resolved, model), *plan.warnings])
    spec = resolved.scenario
    print(
        f"{args.scenario}: ok — kind {spec.kind}, '{spec.name}', "
        f"{len(resolved.distributions)} uncertain parameters, {spec.samples} samples by default"
        f"\n  {plan.describe()}"
    )
    return EXIT_OK


def _cmd_schema(args) -> int:
    from stuntsim.scenario import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        from stuntsim.outputs import write_atomic

        write_atomic(args.out, text.encode())
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _cmd_run(args) -> int:
    from stuntsim.kinds import kind_of
    from stuntsim.outputs import check_writable
    from stuntsim.report import figure_builders, format_table, summary, summary_files
    from stuntsim.runner import run
    from stuntsim.scenario import load_scenario

    where = _executor(args)  # arguments first, before any file is read
    resolved = load_scenario(args.scenario)
    out_dir = args.out or Path("out") / args.scenario.stem
    if args.hazard and args.method == "mc":
        return _error("--hazard chooses the hazard of --method qmc or subset; --method mc "
                      "estimates every hazard at once (leave --hazard out)", EXIT_BAD_INPUT)
    check_writable(out_dir)  # before any simulation
    if args.method != "mc":
        return _run_estimator(args, resolved, out_dir)
    result = run(resolved, samples=args.samples, seed=args.seed, **where,
                 progress=not args.quiet and sys.stderr.isatty())
    info = summary(result)  # built once for the table, the file and the figures
    figures, notes = ({}, []) if args.no_plots else _draw(figure_builders(result, info))
    info["warnings"] += notes
    _warn(info["warnings"])
    print(format_table(result, info))
    for section in kind_of(resolved).terminal_sections(result):
        print()
        print(section)
    _commit(out_dir, "run", {**summary_files(result, info),
                             **{f"{name}.png": png for name, png in figures.items()}})
    return EXIT_OK


def _commit(out_dir: Path, command: str, files: dict[str, bytes]) -> list[Path]:
    """Write a command's files into ``out_dir`` as a whole and say what was written."""
    from stuntsim.outputs import OutputDir, owned_by

    output = OutputDir(out_dir, owned_by(command))
    for name, data in files.items():
        output.add(name, data)
    written = output.commit()
    print(f"\nwrote {', '.join(str(path) for path in written)}")
    return written


def _draw(builders) -> tuple[dict[str, bytes], list[str]]:
    """Each figure as PNG bytes; one that cannot be drawn is a warning naming it, never a
    lost run (the results are written without it)."""
    figures, notes = {}, []
    for name, build in builders.items():
        try:
            figures[name] = _png(build())
        except Exception as err:
            notes.append(f"the figure {name}.png could not be drawn ({type(err).__name__}: "
                         f"{err}); the results are written without it")
    return figures, notes




def _run_estimator(args, resolved, out_dir: Path) -> int:
    """``run --method qmc|subset``: one hazard at a time (margins have different units).

    Every argument is checked before any model runs. A subset run that did not converge
    (stuntsim.risk.subset: stalled or tied levels, frozen chains, replicates that disagree,
    …) reports crude Monte Carlo on fresh samples instead; its row says so, a warning names
    the rule, and summary.json carries the status under the hazard and in a top-level
    ``warnings`` list. A hazard that does not apply to the scene (e.g. no one to strike)
    is left out with a note; asking for it by name, or leaving nothing to estimate, is an
    error.
    """
    from stuntsim.kinds import kind_of
    from stuntsim.studies import SUBSET_P0

    known = kind_of(resolved).model(resolved).hazards
    hazards = [args.hazard] if args.hazard else list(known)
    unknown = [name for name in hazards if name not in known]
    if unknown:
        return _error(f"unknown hazard {unknown[0]!r}: one of {list(known)}",
                      EXIT_BAD_INPUT)
    seed = resolved.scenario.seed if args.seed is None else args.seed
    size = args.samples or (1000 if args.method == "subset" else 1024)
    if args.method == "qmc" and (size < 2 or size & (size - 1)):
        return _error(f"--samples must be a power of two ≥ 2 for qmc, got {size}",
                      EXIT_BAD_INPUT)
    seeds_per_level = size * SUBSET_P0
    if args.method == "subset" and (size < 20 or seeds_per_level != round(seeds_per_level)):
        return _error(f"--samples is the subset level size N: at least 20 and N·p0 (p0 = "
                      f"{SUBSET_P0}) a whole number of seeds, got {size}", EXIT_BAD_INPUT)
    with _study_executor(args) as pool:
        return _estimate(args, resolved, out_dir, hazards, seed, size, pool)


def _study_executor(args):
    from stuntsim.parallel import make_executor

    where = _executor(args)
    name = "serial" if where["executor"] == "auto" else where["executor"]
    return make_executor(name, where["workers"], scheduler=where["scheduler"])


def _estimate(args, resolved, out_dir, hazards, seed, size, pool) -> int:
    from stuntsim import __version__
    from stuntsim import formatting as fmt
    from stuntsim.errors import ScenarioError, StuntWarning
    from stuntsim.studies import rare_event

    results = {}
    run_warnings: list[str] = []
    print(f"{resolved.scenario.name}: {args.method}, seed {seed}")
    print(f"{'hazard':<18} {'probability':>11}  {'95 % interval':<24} {'CoV':>6} "
          f"{'evaluations':>11}  status")
    for name in hazards:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", StuntWarning)
                if args.method == "subset":
                    result = rare_event(resolved, name, method="subset", n_per_level=size,
                                        seed=seed, executor=pool)
                else:
                    result = rare_event(resolved, name, method="qmc", n_qmc=size, seed=seed,
                                        executor=pool)
        except ValueError as err:  # e.g. a hazard with no finite margin in this scenario
            if isinstance(err, ScenarioError) or args.hazard:
                raise
            print(f"{name:<18} not estimated: {err}")
            run_warnings.append(f"{name}: not estimated: {err}")
            continue
        run_warnings += [f"{name}: {w.message}" for w in caught
                         if issubclass(w.category, StuntWarning)]
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
        print(f"{name:<18} {fmt.probability(probability):>11}  {fmt.interval(lo, hi):<24} "
              f"{cov_text:>6} {result.evaluations:>11}  {status}")
        if args.method == "subset" and not result.converged:
            message = f"{name}: {result.summary()}"
            run_warnings.append(message)
            results[name]["warning"] = message
    if not results:
        return _error("no hazard could be estimated (see the notes above); nothing written",
                      EXIT_BAD_INPUT)
    _warn(run_warnings)
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
    _commit(out_dir, "run", {"summary.json": _json(info)})
    return EXIT_OK


def _cmd_compare(args) -> int:
    from matplotlib.figure import Figure

    from stuntsim import plots
    from stuntsim.outputs import check_writable
    from stuntsim.scenario import ScenarioError, load_scenario
    from stuntsim.studies.compare import compare

    try:
        variants = [load_scenario(path) for path in args.scenarios]
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
    out_dir = args.out or Path("out") / args.scenarios[0].stem
    check_writable(out_dir)
    result = compare(variants, names=names, samples=args.samples, seed=args.seed,
                     **_executor(args))

    def comparison():
        figure = Figure(figsize=(16, 1.4 + 0.6 * len(names)), layout="constrained")
        left, right = figure.subplots(1, 2)
        plots.plot_comparison(left, result)
        plots.plot_comparison_harm(right, result)
        return figure

    figures, notes = _draw({"comparison": comparison})
    result.warnings.extend(notes)
    _warn(result.warnings)
    print(result.table())
    _commit(out_dir, "compare", {"comparison.json": _json(result.to_dict()),
                                 **{f"{k}.png": v for k, v in figures.items()}})
    return EXIT_OK


def _cmd_envelope(args) -> int:
    from matplotlib.figure import Figure

    from stuntsim import plots
    from stuntsim.outputs import check_writable
    from stuntsim.scenario import ScenarioError, load_scenario
    from stuntsim.studies.envelope import envelope, envelope_2d, parse_range

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
                      seed=args.seed, **_executor(args))
        out_dir = args.out or Path("out") / args.scenario.stem
        check_writable(out_dir)
        result = envelope(resolved, args.param, values, **common)
        result2 = (envelope_2d(resolved, args.param, values, args.param2, values2, **common)
                   if values2 is not None else None)
    except (ScenarioError, ValueError) as err:
        return _error(str(err), EXIT_BAD_INPUT)
    data = {"envelope": result.to_dict()}

    def one(size, draw, what):
        def build():
            figure = Figure(figsize=size, layout="constrained")
            draw(figure.add_subplot(), what)
            return figure
        return build

    builders = {"envelope": one((8, 5), plots.plot_envelope, result)}
    if result2 is not None:
        data["envelope_2d"] = result2.to_dict()
        builders["envelope_2d"] = one((8, 6), plots.plot_envelope_2d, result2)
    figures, notes = _draw(builders)
    result.notes.extend(notes)
    print(result.describe())
    for note in result.notes:
        print(f"note: {note}")
    data["envelope"]["notes"] = list(result.notes)
    _commit(out_dir, "envelope", {"envelope.json": _json(data),
                                  **{f"{k}.png": v for k, v in figures.items()}})
    return EXIT_OK


def _cmd_sensitivity(args) -> int:
    from matplotlib.figure import Figure

    from stuntsim import plots
    from stuntsim.outputs import check_writable
    from stuntsim.scenario import ScenarioError, describe_path, load_scenario
    from stuntsim.studies import sensitivity

    try:
        resolved = load_scenario(args.scenario)
        if args.samples & (args.samples - 1):
            raise ValueError(f"--samples must be a power of two, got {args.samples}")
        out_dir = args.out or Path("out") / args.scenario.stem
        check_writable(out_dir)
        result = sensitivity(resolved, args.hazard, n=args.samples, seed=args.seed,
                             **_executor(args))
    except (ScenarioError, ValueError) as err:
        return _error(str(err), EXIT_BAD_INPUT)
    labels = {name: describe_path(resolved.scenario, name) for name in result.names}
    sobol = result.sobol
    print(f"What drives {args.hazard} ({sobol.evaluations} runs, seed {result.seed}):")
    if result.transform == "rank":
        print("  (some margins are infinite: the indices are of the margins' ranks)")
    print(f"{'input':<66} {'total':>6} {'first':>6} {'ρ':>6}")
    for name in result.ranking():
        i = result.names.index(name)
        rho = result.screen[name][0]
        print(f"{labels[name][:66]:<66} {sobol.total_order[i]:>6.2f} "
              f"{sobol.first_order[i]:>6.2f} {rho:>6.2f}")
    data = result.to_dict()
    for name, entry in data["inputs"].items():
        entry["description"] = labels[name]

    def figure():
        fig = Figure(figsize=(9, 6), layout="constrained")
        plots.plot_sensitivity(fig.add_subplot(), result, labels=labels)
        return fig

    figures, notes = _draw({"sensitivity": figure})
    data["warnings"] += notes
    _warn(data["warnings"])
    _commit(out_dir, "sensitivity", {"sensitivity.json": _json(data),
                                     **{f"{k}.png": v for k, v in figures.items()}})
    return EXIT_OK


def _json(data: dict) -> bytes:
    return (json.dumps(data, indent=2, allow_nan=False) + "\n").encode()


def _png(figure) -> bytes:
    from stuntsim.report import png

    return png(figure)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
