"""The summary of a train-roof run: a JSON-ready dict, a table for the terminal, files.

The layout follows :mod:`stuntsim.report` (the car summary): each hazard named once (for
any performer) with its probability, 95 % interval, margins, harm and risk-matrix cell,
plus what is particular to the train: a ``performers`` breakdown inside each hazard,
the structures that struck, and where along the track runs first went wrong.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from stuntsim import __version__
from stuntsim import formatting as fmt
from stuntsim.constants import KMH
from stuntsim.kinds.train.harm import (
    TRAIN_HARM_RELATIONS,
    fall_from_train_fatality,
    structure_strike_fatality,
)
from stuntsim.kinds.train.runner import TrainResult
from stuntsim.kinds.train.schema import POSTURE_NAMES
from stuntsim.outputs import OutputDir, csv_text, owned_by
from stuntsim.report import format_matrix
from stuntsim.risk.montecarlo import ANY, bounded_mean, failed, margin_quantiles
from stuntsim.severity import matrix_cell, over_takes
from stuntsim.units import display_scale, display_unit

__all__ = ["failures_csv", "format_table", "summary", "write_summary"]

QUANTILES = (0.001, 0.01, 0.05, 0.5, 0.95)


def summary(result: TrainResult) -> dict[str, Any]:
    """The run as a JSON-ready dict (no NaN or infinity: those become None)."""
    resolved = result.resolved
    takes = resolved.scenario.takes
    hazards = {}
    matrix = {}
    for name, hazard in result.hazards.items():
        estimate = result.estimates[name]
        entry = estimate.to_dict()
        entry.update(_margin_stats(result.margins[name] * hazard.display_scale))
        entry.update({"description": hazard.description, "margin_unit": hazard.unit})
        entry["performers"] = _performers(result, name)
        happened = failed(result.margins[name])
        entry["at_worst_moment"] = _worst_facts(result, name, happened)
        if name == "struck_by_structure":
            entry["structures"] = _structures(result)
        segments = result.segment_risk(name)
        entry["first_failure_by_segment"] = {
            segment: int(count) for segment, count in zip(segments.segments, segments.counts,
                                                          strict=True) if count
        }
        entry["over_takes"] = _over_takes(estimate, takes)
        entry["harm"] = _harm_entry(name, result.harm[name])
        hazards[name] = entry
        matrix[name] = _matrix_cell(result, name, happened)
    any_hazard = result.estimates[ANY].to_dict()
    any_hazard["over_takes"] = _over_takes(result.estimates[ANY], takes)
    return _clean({
        "kind": "train",
        "scenario": result.name,
        "scenario_file": resolved.source,
        "scenario_sha256": resolved.sha256,
        "stuntsim_version": __version__,
        "method": result.method,
        "samples": result.samples,
        "seed": result.seed,
        "model_evaluations": result.samples,
        "runtime_s": round(result.runtime, 2),
        "performers": list(result.performer_names),
        "hazards": hazards,
        "any_hazard": any_hazard,
        "by_segment": _segments(result),
        "risk_matrix": {
            "scale": "5 × 5: likelihood per take (1 very unlikely < 1e-4 … 5 very likely ≥ 0.1, "
                     "one per decade) × severity (1 negligible … 5 fatal: the worst outcome "
                     "with ≥ 1 % probability given the hazard); score = product; bands low "
                     "1–4, medium 5–9, high 10–15, very high 16–25 (stuntsim convention)",
            "hazards": matrix,
        },
        "completion": result.completion.to_dict() if result.completion else None,
        "warnings": list(result.warnings),
        "parameters": {
            "nominal": {key: value for key, value in sorted(resolved.nominal.items())},
            "units": "SI (m, s, kg, rad, N)",
            "uncertain": {key: _describe_distribution(dist)
                          for key, dist in resolved.distributions.items()},
        },
    })


# --------------------------------------------------------------------------------------
# pieces of the summary
# --------------------------------------------------------------------------------------


def _margin_stats(margins: np.ndarray) -> dict[str, Any]:
    finite = margins[np.isfinite(margins)]
    return {
        "margin_quantiles": margin_quantiles(finite, QUANTILES) if finite.size else {},
        "worst_margin": float(finite.min()) if finite.size else None,
        "applicable": bool(finite.size),
    }


def _performers(result: TrainResult, name: str) -> dict[str, Any]:
    hazard = result.hazards[name]
    out = {}
    for j, performer in enumerate(result.performer_names):
        estimate = result.performer_estimates[name][j]
        entry = estimate.to_dict()
        entry.update(_margin_stats(result.performer_margins[name][:, j] * hazard.display_scale))
        happened = failed(result.performer_margins[name][:, j])
        if happened.any():
            speed = result.performer_details[name]["speed"][happened, j] * 3.6
            entry["speed_kmh_at_worst"] = _spread(speed)
            posture = result.performer_details[name]["posture"][happened, j].astype(int)
            entry["posture_at_worst"] = {POSTURE_NAMES[k]: int(np.count_nonzero(posture == k))
                                         for k in np.unique(posture)}
        out[performer] = entry
    return out


def _worst_facts(result: TrainResult, name: str, happened: np.ndarray) -> dict[str, Any]:
    """Facts at the worst moment of the happened samples: speed, where, who."""
    if not happened.any():
        return {}
    facts = result.details[name]
    who = facts["performer"][happened].astype(int)
    return {
        "speed_kmh": _spread(facts["speed"][happened] * 3.6),
        "chainage_m": _spread(facts["position"][happened]),
        "performer": {result.performer_names[k]: int(np.count_nonzero(who == k))
                      for k in np.unique(who)},
    }


def _structures(result: TrainResult) -> dict[str, Any]:
    out = {}
    for structure, by_performer in result.structure_estimates().items():
        out[structure] = {performer: estimate.to_dict()
                          for performer, estimate in by_performer.items()}
    return out


def _segments(result: TrainResult) -> list[dict[str, Any]]:
    """Risk by track segment: where the first failure of any hazard happened."""
    risk = result.segment_risk(ANY)
    scenario = result.resolved.scenario
    nominal = result.resolved.nominal
    rows = []
    for index, segment in enumerate(scenario.track.segments):
        base = f"track.segments.{segment.name}"
        row = {
            "segment": segment.name,
            "from_m": float(result.segment_starts[index]),
            "to_m": float(result.segment_starts[index + 1]),
            "radius_m": nominal.get(f"{base}.radius"),
            "hand": segment.hand,
            "cant_mm": nominal[f"{base}.cant"] * 1000.0,
            "first_failures": int(risk.counts[index]),
            "probability": float(risk.probability[index]),
            "ci95": [float(risk.ci95[index, 0]), float(risk.ci95[index, 1])],
            "by_hazard": {},
        }
        for name in result.hazards:
            count = int(result.segment_risk(name).counts[index])
            if count:
                row["by_hazard"][name] = count
        rows.append(row)
    return rows


def _over_takes(estimate, takes: int) -> dict[str, Any]:
    p_all, (lo, hi) = over_takes(estimate.probability, estimate.ci95, takes)
    return {"takes": takes, "probability": float(p_all), "ci95": [float(lo), float(hi)]}


def _harm_entry(name: str, harm: dict[str, np.ndarray]) -> dict[str, Any]:
    relations = TRAIN_HARM_RELATIONS[name]
    entry: dict[str, Any] = {"who": relations["who"]}
    for outcome in ("fatality", "serious_injury"):
        values = harm[outcome]
        if relations[outcome] is None or np.isnan(values).all():
            entry[outcome] = {"expected_per_take": None, "relation": None}
            continue
        mean, (lo, hi) = bounded_mean(values)
        entry[outcome] = {"expected_per_take": mean, "ci95": [lo, hi],
                          "relation": relations[outcome]}
    return entry


def _matrix_cell(result: TrainResult, name: str, happened: np.ndarray) -> dict[str, Any]:
    """Likelihood × severity of one hazard; severity from P(death) given the hazard (the
    train's relations give no serious-injury figure: :func:`stuntsim.severity.rate_severity`
    then rates the level below death as not excluded)."""
    estimate = result.estimates[name]
    source = {"fatality": TRAIN_HARM_RELATIONS[name]["fatality"]}
    fatal = result.harm[name]["fatality"]
    if happened.any():
        given = {"fatality": float(fatal[happened].mean()), "serious_injury": None}
        note = f"mean over the {int(happened.sum())} runs in which it happened"
    else:
        # never happened: rate it as if it had, at the 95th percentile of the run's top speed
        speed = float(np.quantile(result.max_speed, 0.95))
        roof = result.resolved.nominal["train.roof_height"]
        p_fatal = float(structure_strike_fatality(speed) if name == "struck_by_structure"
                        else fall_from_train_fatality(speed, roof))
        given = {"fatality": p_fatal, "serious_injury": None}
        note = (f"if it happened at the run's top speed (95th percentile, "
                f"{speed / KMH:.0f} km/h)" + ("" if name == "struck_by_structure" else
                                              ", off the roof"))
    return matrix_cell(estimate, given, sources=source, severity_note=note)


def _spread(values: np.ndarray) -> dict[str, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {}
    return {"median": float(np.median(values)), "q0.95": float(np.quantile(values, 0.95)),
            "max": float(values.max())}


def _describe_distribution(dist) -> dict[str, Any]:
    out: dict[str, Any] = {"dist": type(dist).__name__}
    for key, value in vars(dist).items():
        if isinstance(value, int | float):
            out[key] = float(value)
    return out


def _clean(value):
    """JSON-safe: NaN and ±inf become None, numpy scalars plain Python."""
    if isinstance(value, dict):
        return {str(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


# --------------------------------------------------------------------------------------
# the terminal table
# --------------------------------------------------------------------------------------


def format_table(result: TrainResult, info: dict[str, Any] | None = None) -> str:
    """A plain-text summary for the terminal (``info``: a :func:`summary` already built)."""
    info = summary(result) if info is None else info
    width = 94
    completion = info.get("completion")
    lines = [
        info["scenario"],
        f"{result.samples} runs, seed {result.seed}, method {result.method}, "
        f"{result.runtime:.1f} s"
        + (f"; {completion['completed']} of {completion['n']} got through the stunt "
           f"({completion['share']:.1%})" if completion else ""),
    ]
    lines += [f"WARNING: {note}" for note in info["warnings"]]
    lines += [
        "",
        f"{'hazard':<22} {'probability':>11}  {'95 % interval':<22} {'failures/n':>15}  "
        f"{'worst margin':>14}",
        "-" * width,
    ]
    for name, entry in info["hazards"].items():
        lines.append(_row(name, entry, result.samples))
        for performer, sub in entry["performers"].items():
            lines.append(_row(f"  {performer}", sub, result.samples, entry["margin_unit"]))
    anyh = info["any_hazard"]
    lines += ["-" * width, _row("any hazard", anyh, result.samples).rstrip()]
    struck = info["hazards"].get("struck_by_structure", {}).get("structures", {})
    for structure, by_performer in struck.items():
        hits = [f"{p}: {e['failures']}" for p, e in by_performer.items() if e["failures"]]
        if hits:
            lines.append(f"  struck at {structure}: {', '.join(hits)}")
    where = [row for row in info["by_segment"] if row["first_failures"]]
    if where:
        lines += ["", "where runs first went wrong (any hazard):"]
        for row in sorted(where, key=lambda r: -r["first_failures"]):
            lo, hi = row["ci95"]
            what = ", ".join(f"{k} {v}" for k, v in row["by_hazard"].items())
            lines.append(f"  {row['segment']:<20} {fmt.probability(row['probability']):>8} "
                         f"{fmt.interval(lo, hi)}  ({what})")
    lines += ["", *format_matrix(info),
              "serious injury: no published relation for falls from or strikes on a "
              "train roof (not estimated)"]
    return "\n".join(lines)


def _row(label: str, entry: dict[str, Any], samples: int, unit: str | None = None) -> str:
    unit = entry.get("margin_unit", unit)
    worst = entry.get("worst_margin")
    worst_text = "" if "worst_margin" not in entry else (
        "n/a" if worst is None else f"{worst:.3g} {unit}")
    lo, hi = entry["ci95"]
    return (f"{label:<22} {fmt.probability(entry['probability']):>11}  "
            f"{fmt.interval(lo, hi):<22} {entry['failures']:>7}/{samples:<7}  "
            f"{worst_text:>14}")


# --------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------


def failures_csv(result: TrainResult) -> str:
    """One row per failing sample, hazard and performer: the facts at the worst moment and
    the sample's drawn inputs (display units)."""
    names = list(result.draws)
    dims = result.resolved.dimensions
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["sample", "hazard", "performer", "margin", "margin_unit", "chainage_m", "segment",
         "speed_kmh", "posture"]
        + [f"{name} [{display_unit(dims.get(name, 'dimensionless'))}]" for name in names]
    )
    scale = {name: display_scale(dims.get(name, "dimensionless")) for name in names}
    for hazard_name, hazard in result.hazards.items():
        margins = result.performer_margins[hazard_name]
        facts = result.performer_details[hazard_name]
        for sample, j in zip(*np.nonzero(failed(margins)), strict=True):
            segment = int(facts["segment"][sample, j])
            writer.writerow(
                [int(sample), hazard_name, csv_text(result.performer_names[j]),
                 f"{margins[sample, j] * hazard.display_scale:.6g}", hazard.unit,
                 f"{facts['position'][sample, j]:.1f}", csv_text(result.segment_names[segment]),
                 f"{facts['speed'][sample, j] * 3.6:.3g}",
                 POSTURE_NAMES[int(facts["posture"][sample, j])]]
                + [f"{result.draws[name][sample] * scale[name]:.6g}" for name in names]
            )
    return out.getvalue()


def summary_files(result: TrainResult, info: dict[str, Any] | None = None
                  ) -> dict[str, bytes]:
    """The run's data files: ``summary.json`` and ``failures.csv``, as bytes."""
    info = summary(result) if info is None else info
    return {"summary.json": (json.dumps(info, indent=2, allow_nan=False) + "\n").encode(),
            "failures.csv": failures_csv(result).encode()}


def write_summary(result: TrainResult, out_dir: Path,
                  info: dict[str, Any] | None = None) -> list[Path]:
    """Write :func:`summary_files` into ``out_dir`` as a run's outputs (the previous run's
    files there replaced as a whole, :class:`stuntsim.outputs.OutputDir`)."""
    output = OutputDir(Path(out_dir), owned_by("run"))
    for name, data in summary_files(result, info).items():
        output.add(name, data)
    return output.commit()
