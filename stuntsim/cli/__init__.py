"""Command line: ``stuntsim run | compare | envelope | sensitivity | report | animate |
validate | schema``.

Exit codes: 0 success; 2 a bad scenario or bad arguments (one readable line, no
traceback, nothing written); 3 a simulation that went numerically wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from stuntsim import __version__
from stuntsim.cli.animate import _cmd_animate
from stuntsim.cli.animate import add_options as _animate_options
from stuntsim.cli.common import (  # noqa: F401 (re-exported for the tests and scripts)
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_NUMERICAL,
    EXIT_OK,
    MAX_SOBOL_BASE,
    MAX_STEPS,
    MAX_WORKERS,
    _BadArguments,
    _bounded,
    _commit,
    _draw,
    _error,
    _executor,
    _executor_options,
    _format_option,
    _progress,
    _progress_options,
    _samples,
    _seed,
    _warn,
)
from stuntsim.cli.studies import (
    _cmd_compare,
    _cmd_envelope,
    _cmd_sensitivity,
    _run_estimator,
)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    _configure_logging(args.verbose)
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

    local = getattr(args, "executor", None) in ("auto", "process")
    if local and not getattr(args, "scheduler", None):
        from stuntsim.parallel import warm_up

        warm_up()  # the workers' server imports stuntsim while this process does (≈ 1 s)
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


class _Parser(argparse.ArgumentParser):
    """An argument parser whose help may end with the hazards of every stunt kind, listed
    only when the help is shown: listing them imports every kind (numpy, scipy: about a
    second), which a command starts its worker processes' server before paying."""

    hazards_in_help = False

    def format_help(self) -> str:
        if self.hazards_in_help:
            self.epilog = f"{self.epilog}\n\n{_hazard_list()}"
            self.hazards_in_help = False
        return super().format_help()


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="stuntsim", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Stunt-safety risk analyser: how likely a stunt is to go wrong, how, "
        "and what would make it safer.",
        epilog="examples:\n  stuntsim run scenarios/rome_sharp_turn.yaml\n"
        "  stuntsim run scenarios/rome_sharp_turn.yaml --help    (each command's options)",
    )
    parser.hazards_in_help = True
    parser.add_argument("--version", action="version", version=f"stuntsim {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="say what the tool decides (-v: the plan, chunks and executor; "
                        "-vv: more)")
    sub = parser.add_subparsers(dest="command")

    run = _command(sub, "run", help="simulate a scenario and report its risk")
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    run.add_argument("--samples", type=_samples,
                     help="Monte Carlo takes (default: the scenario's `samples`)")
    run.add_argument("--seed", type=_seed, help="root seed (default: the scenario's `seed`)")
    run.add_argument("--out", type=Path, help="output folder (default: out/<scenario name>)")
    _executor_options(run)
    run.add_argument("--method", choices=("mc", "qmc", "subset"), default="mc",
                     help="crude Monte Carlo (default), randomised quasi-MC, or subset "
                     "simulation for rare hazards")
    run.add_argument("--hazard", help="with qmc/subset: the hazard to estimate "
                     "(default: each in turn)")
    run.add_argument("--checkpoint", type=Path, metavar="FOLDER",
                     help="keep each finished chunk of takes in FOLDER and take those "
                     "already there: a long run cut short resumes where it stopped, with "
                     "the same numbers (Monte Carlo only)")
    run.add_argument("--no-plots", action="store_true", help="write no figures (and no "
                     "animation)")
    run.add_argument("--no-animation", action="store_true",
                     help="write no worst_takes.gif (it costs about a second or two)")
    _format_option(run)
    _progress_options(run)
    run.set_defaults(handler=_cmd_run)

    env = _command(sub, "envelope", help="the largest (or smallest) value of a planned "
                         "parameter that keeps a hazard below a target")
    env.add_argument("scenario", type=Path)
    env.add_argument("--param", required=True, help="dotted path, e.g. maneuver.entry_speed")
    env.add_argument("--range", required=True, dest="value_range",
                     help='values to try, "LOW:HIGH" with units, e.g. "20 km/h:60 km/h"')
    env.add_argument("--steps", type=_bounded(2, MAX_STEPS), default=9,
                     help="values in the range (default: 9)")
    env.add_argument("--target", type=float, required=True,
                     help="acceptable probability per take, e.g. 1e-3")
    env.add_argument("--hazard", default="any", help="hazard name (default: any hazard)")
    env.add_argument("--param2", help="a second parameter for a 2-D map")
    env.add_argument("--range2", dest="value_range2", help="its range")
    env.add_argument("--samples", type=_samples,
                     help="takes per value (default: the scenario's `samples`)")
    env.add_argument("--seed", type=_seed, help="root seed (default: the scenario's `seed`)")
    env.add_argument("--out", type=Path, help="output folder (default: out/<scenario>)")
    _executor_options(env)
    _progress_options(env)
    _format_option(env)
    env.set_defaults(handler=_cmd_envelope)

    sens = _command(sub, "sensitivity", help="which uncertain input drives a hazard "
                          "(Sobol indices and a rank-correlation screen)")
    sens.add_argument("scenario", type=Path)
    sens.add_argument("--hazard", default="collision",
                      help="hazard whose margin is explained (default: collision)")
    sens.add_argument("--samples", type=_bounded(2, MAX_SOBOL_BASE), default=512,
                      help="base sample size n, a power of two; the model runs n·(d+2) times "
                      "(default: 512)")
    sens.add_argument("--seed", type=_seed, help="root seed (default: the scenario's `seed`)")
    sens.add_argument("--out", type=Path, help="output folder (default: out/<scenario>)")
    _executor_options(sens)
    _progress_options(sens)
    _format_option(sens)
    sens.set_defaults(handler=_cmd_sensitivity)

    cmp_ = _command(sub, "compare", help="a baseline and its variants on common random "
                          "numbers: does a mitigation really help?")
    cmp_.add_argument("scenarios", type=Path, nargs="+",
                      help="BASE.yaml [VARIANT.yaml ...]; the baseline's own `variants:` "
                      "are compared too (all of them, or those named by --only)")
    cmp_.add_argument("--only", nargs="+", action="extend", metavar="NAME",
                      help="compare only these of the baseline's `variants:` (by name; "
                      "quote names with spaces); variant files given are always compared "
                      "(default: every variant)")
    cmp_.add_argument("--samples", type=_samples,
                      help="takes per variant (default: the baseline's `samples`)")
    cmp_.add_argument("--seed", type=_seed,
                      help="root seed, shared by all (default: the baseline's `seed`)")
    cmp_.add_argument("--out", type=Path, help="output folder (default: out/<baseline>)")
    _executor_options(cmp_)
    _progress_options(cmp_)
    _format_option(cmp_)
    cmp_.set_defaults(handler=_cmd_compare)

    report = _command(sub, "report", help="rebuild report.html of a finished run's folder "
                            "(with the compare, envelope and sensitivity results in it)")
    report.add_argument("directory", type=Path, help="the folder `stuntsim run --out` wrote")
    report.set_defaults(handler=_cmd_report)

    animate = _command(sub, "animate", help="animate chosen takes of a finished run "
                             "(re-simulated exactly from its seed): a GIF")
    _animate_options(animate)
    animate.set_defaults(handler=_cmd_animate)

    validate = _command(sub, "validate", help="check a scenario file and say what is wrong")
    validate.add_argument("scenario", type=Path)
    validate.set_defaults(handler=_cmd_validate)

    schema = _command(sub, "schema", help="print the JSON Schema of scenario files")
    schema.add_argument("--out", type=Path, help="write to this file instead of stdout")
    schema.set_defaults(handler=_cmd_schema)
    return parser


EXAMPLES = {
    "run": "examples:\n"
           "  stuntsim run scenarios/rome_sharp_turn.yaml\n"
           "  stuntsim run scenarios/rome_sharp_turn.yaml --samples 20000 --seed 7 --out out/rome\n"
           "  stuntsim run scenarios/rome_sharp_turn.yaml --method subset --hazard person_struck\n"
           "  stuntsim run scenarios/train_roof.yaml --executor dask --scheduler tcp://host:8786",
    "envelope": "examples:\n"
                "  stuntsim envelope scenarios/rome_sharp_turn.yaml --param maneuver.corner_speed "
                "--range \"12 km/h:24 km/h\" --target 0.05\n"
                "  stuntsim envelope scenarios/train_roof.yaml --param train.speed "
                "--range \"60 km/h:100 km/h\" --hazard tipped --target 0.05",
    "sensitivity": "examples:\n"
                   "  stuntsim sensitivity scenarios/rome_sharp_turn.yaml --hazard collision\n"
                   "  stuntsim sensitivity scenarios/train_roof.yaml --hazard "
                   "struck_by_structure --samples 256",
    "compare": "examples:\n"
               "  stuntsim compare scenarios/cliff_hairpin.yaml          (its own `variants:`)\n"
               "  stuntsim compare my_plan.yaml my_plan_slower.yaml      (files of one scene)\n"
               "  stuntsim compare scenarios/rome_sharp_turn.yaml --only \"slower corner "
               "(15 km/h)\"",
    "report": "example:\n  stuntsim report out/rome_sharp_turn",
    "animate": "examples:\n"
               "  stuntsim animate out/rome_sharp_turn --take 1644\n"
               "  stuntsim animate out/rome_sharp_turn --take 1644 6928 3903 --out takes.gif",
    "validate": "example:\n  stuntsim validate scenarios/rome_sharp_turn.yaml",
    "schema": "example:\n  stuntsim schema --out scenarios/scenario.schema.json",
}


def _command(sub, name: str, help: str, **kwargs) -> argparse.ArgumentParser:
    """A subcommand whose --help ends with examples (and the hazards, where it takes one);
    -v is accepted after the command too."""
    command = sub.add_parser(name, help=help, description=help, epilog=EXAMPLES[name],
                             formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)
    command.hazards_in_help = name in ("run", "envelope", "sensitivity")
    command.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                         help="say what the tool decides (-vv: more)")
    return command


def _configure_logging(verbosity: int) -> None:
    """-v: the tool's decisions on stderr (INFO), -vv: DEBUG. Without it, nothing (a
    handler an earlier call in this process added is removed)."""
    import logging

    logger = logging.getLogger("stuntsim")
    logger.handlers = [h for h in logger.handlers if not getattr(h, "_stuntsim_cli", False)]
    if verbosity <= 0:
        logger.setLevel(logging.NOTSET)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("stuntsim: %(message)s"))
    handler._stuntsim_cli = True
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbosity == 1 else logging.DEBUG)


def _hazard_list() -> str:
    """The hazards each stunt kind reports, for --help (a scenario reports those that apply
    to it)."""
    from stuntsim.kinds import kinds

    lines = ["hazards by stunt kind (--hazard):"]
    for name, kind in kinds().items():
        lines.append(f"  {name}: {', '.join(kind.all_hazards())}")
    return "\n".join(lines)


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


def _open_checkpoint(args, resolved):
    """The run's checkpoint folder (:mod:`stuntsim.checkpoint`), saying how much of the
    run it already holds."""
    from stuntsim.checkpoint import Checkpoint
    from stuntsim.risk.sampling import plan_chunks
    from stuntsim.runner import run_size

    samples, seed = run_size(resolved, args.samples, args.seed)
    chunk_blocks = resolved.scenario.simulation.chunk_blocks
    checkpoint = Checkpoint.open(args.checkpoint, resolved, seed, chunk_blocks)
    chunks = plan_chunks(samples, chunk_blocks)
    done = checkpoint.stored(chunks)
    if done:  # said even with --quiet: some of the numbers come from the folder
        print(f"stuntsim: resuming from {args.checkpoint}: {done} of {len(chunks)} chunks "
              f"already done", file=sys.stderr)
    return checkpoint


def _cmd_run(args) -> int:
    from stuntsim.cli.drawing import draw_run
    from stuntsim.kinds import kind_of
    from stuntsim.outputs import check_writable
    from stuntsim.report import format_table, summary, summary_files
    from stuntsim.report.html import render_report
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
        if args.checkpoint is not None:
            return _error("--checkpoint keeps the chunks of a Monte Carlo run (--method mc); "
                          f"--method {args.method} has no chunks to keep", EXIT_BAD_INPUT)
        return _run_estimator(args, resolved, out_dir)
    checkpoint = None
    if args.checkpoint is not None:
        inside = args.checkpoint.resolve()
        if inside == out_dir.resolve() or out_dir.resolve() in inside.parents:
            return _error(f"--checkpoint {args.checkpoint} is in the output folder "
                          f"{out_dir}, which a run replaces as a whole: give a folder "
                          f"outside it", EXIT_BAD_INPUT)
        checkpoint = _open_checkpoint(args, resolved)
    result = run(resolved, samples=args.samples, seed=args.seed, **where,
                 progress=_progress(args), checkpoint=checkpoint)
    info = summary(result)  # built once for the table, the file and the figures
    info["command"] = _command_line(args)
    # the figures, and worst_takes.gif (and .mp4 with ffmpeg) unless --no-animation
    files, figures, notes = (({}, {}, []) if args.no_plots else draw_run(
        result, info, args.figure_format, animation=not args.no_animation,
        executor=where["executor"], workers=where["workers"]))
    info["warnings"] += notes
    _warn(info["warnings"])
    print(format_table(result, info))
    for section in kind_of(resolved).terminal_sections(result):
        print()
        print(section)
    report = render_report(info, figures, scenario_text=resolved.text,
                           command=info["command"])
    _commit(out_dir, "run", {**summary_files(result, info),
                             **files,
                             "report.html": report.encode()})
    return EXIT_OK


def _command_line(args) -> str:
    """The command as typed (for the record in summary.json and the report)."""
    import shlex

    return shlex.join(["stuntsim", *args.argv])


def _cmd_report(args) -> int:
    from stuntsim.errors import OutputError
    from stuntsim.outputs import write_atomic
    from stuntsim.report.html import report_from_directory

    folder = args.directory
    if not (folder / "summary.json").is_file():
        return _error(f"{folder}: no summary.json here; give the folder a `stuntsim run` "
                      f"wrote (its --out)", EXIT_BAD_INPUT)
    try:
        html = report_from_directory(folder)
    except (ValueError, OSError) as err:
        raise OutputError(f"{folder}: cannot read the run's files: {err}") from None
    write_atomic(folder / "report.html", html.encode())
    print(f"wrote {folder / 'report.html'}")
    return EXIT_OK



if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
