"""The study commands: ``compare``, ``envelope``, ``sensitivity`` and ``run --method
qmc|subset``."""

from __future__ import annotations

import math
from pathlib import Path

from stuntsim.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    _commit,
    _draw,
    _error,
    _executor,
    _json,
    _progress,
    _warn,
)


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
    """The estimators' executor: with ``auto``, a pool of the machine's cores (each model
    call is cut into one batch a worker, :data:`stuntsim.studies.margins.MIN_SPLIT`)."""
    import os

    from stuntsim.parallel import make_executor

    where = _executor(args)
    return make_executor(where["executor"], where["workers"], scheduler=where["scheduler"],
                         n_chunks=os.cpu_count() or 1)


def _estimate(args, resolved, out_dir, hazards, seed, size, pool) -> int:
    from stuntsim import __version__
    from stuntsim import formatting as fmt
    from stuntsim.report.anatomy import subset_lines, subset_section
    from stuntsim.studies.rare import rare_events

    results = {}
    run_warnings: list[str] = []
    concentrated: list[str] = []  # what each subset run's last level concentrated on
    print(f"{resolved.scenario.name}: {args.method}, seed {seed}")
    print(f"{'hazard':<18} {'probability':>11}  {'95 % interval':<24} {'CoV':>6} "
          f"{'evaluations':>11}  status")
    # every hazard at once: the model runs once for the points they ask for together
    size_option = {"n_per_level": size} if args.method == "subset" else {"n_qmc": size}
    estimates = rare_events(resolved, hazards, method=args.method, seed=seed, executor=pool,
                            progress=_progress(args), **size_option)
    for name in hazards:
        estimate = estimates[name]
        if estimate.error is not None:  # e.g. a hazard with no finite margin in this scene
            if args.hazard:
                raise estimate.error
            print(f"{name:<18} not estimated: {estimate.error}")
            run_warnings.append(f"{name}: not estimated: {estimate.error}")
            continue
        result = estimate.result
        run_warnings += [f"{name}: {note}" for note in estimate.warnings]
        results[name] = result.to_dict()
        if args.method == "subset":
            results[name]["last_level_anatomy"] = subset_section(result, resolved)
            concentrated += subset_lines(name, results[name]["last_level_anatomy"])
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
    if concentrated:
        print("\nwhere the last level concentrated (mean standard-normal z of its samples, "
              "prior 0 ± 1, with its 95 % interval between independent replicates):")
        print("\n".join(concentrated))
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
    # variants declared inside the baseline file come after the files given: all of them,
    # or those --only names (each checked before anything runs)
    inline = list(variants[0].scenario.variants)
    if args.only is not None:
        unknown = [name for name in args.only if name not in inline]
        if unknown:
            available = (", ".join(repr(name) for name in inline) if inline
                         else "none: the baseline has no `variants:`")
            return _error(f"{args.scenarios[0]}: --only: not a variant of the baseline: "
                          f"{', '.join(repr(name) for name in unknown)}; its variants: "
                          f"{available}", EXIT_BAD_INPUT)
        inline = list(dict.fromkeys(args.only))
    variants += [variants[0].variant(name) for name in inline]
    names += inline
    if len(variants) < 2:
        return _error("compare needs a baseline and at least one variant (another file, "
                      "or `variants:` in the baseline file)", EXIT_BAD_INPUT)
    out_dir = args.out or Path("out") / args.scenarios[0].stem
    check_writable(out_dir)
    result = compare(variants, names=names, samples=args.samples, seed=args.seed,
                     **_executor(args), progress=_progress(args))

    def comparison():
        figure = Figure(figsize=(16, 1.4 + 0.6 * len(names)), layout="constrained")
        left, right = figure.subplots(1, 2)
        plots.plot_comparison(left, result)
        plots.plot_comparison_harm(right, result)
        return figure

    figures, _, notes = _draw({"comparison": comparison}, args.figure_format)
    result.warnings.extend(notes)
    _warn(result.warnings)
    print(result.table())
    _commit(out_dir, "compare", {"comparison.json": _json(result.to_dict()),
                                 **figures})
    return EXIT_OK


def _cmd_envelope(args) -> int:
    from stuntsim import plots
    from stuntsim.outputs import check_writable
    from stuntsim.report.figures import one_panel
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
                      seed=args.seed, **_executor(args), progress=_progress(args))
        out_dir = args.out or Path("out") / args.scenario.stem
        check_writable(out_dir)
        result = envelope(resolved, args.param, values, **common)
        result2 = (envelope_2d(resolved, args.param, values, args.param2, values2, **common)
                   if values2 is not None else None)
    except (ScenarioError, ValueError) as err:
        return _error(str(err), EXIT_BAD_INPUT)
    data = {"envelope": result.to_dict()}
    builders = {"envelope": one_panel((8, 5), plots.plot_envelope, result)}
    if result2 is not None:
        data["envelope_2d"] = result2.to_dict()
        builders["envelope_2d"] = one_panel((8, 6), plots.plot_envelope_2d, result2)
    figures, _, notes = _draw(builders, args.figure_format)
    result.notes.extend(notes)
    print(result.describe())
    for note in result.notes:
        print(f"note: {note}")
    data["envelope"]["notes"] = list(result.notes)
    _commit(out_dir, "envelope", {"envelope.json": _json(data),
                                  **figures})
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
                             **_executor(args), progress=_progress(args))
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

    figures, _, notes = _draw({"sensitivity": figure}, args.figure_format)
    data["warnings"] += notes
    _warn(data["warnings"])
    _commit(out_dir, "sensitivity", {"sensitivity.json": _json(data),
                                     **figures})
    return EXIT_OK


