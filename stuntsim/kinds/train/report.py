"""The train's sections of a run's report: per performer, the facts at the worst moment,
the structures that struck, where along the track runs first went wrong, the severity
inputs of the risk matrix, the terminal notes and the failures file.

The shared report (:mod:`stuntsim.report`) calls these through
:class:`stuntsim.kinds.train.kind.TrainKind`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np

from stuntsim import formatting as fmt
from stuntsim.constants import KMH, TO_KMH
from stuntsim.kinds.base import MatrixInput
from stuntsim.kinds.train.harm import fall_from_train_fatality, structure_strike_fatality
from stuntsim.kinds.train.schema import POSTURE_NAMES
from stuntsim.outputs import csv_text
from stuntsim.risk.montecarlo import ANY, failed, margin_stats, spread
from stuntsim.units import display_scale, display_unit

__all__ = ["failures_csv", "hazard_facts", "matrix_input", "summary_sections", "table_notes"]


def hazard_facts(result, name: str) -> dict[str, Any]:
    """Per performer, at the worst moment, at each structure, and by segment."""
    happened = failed(result.margins[name])
    entry: dict[str, Any] = {"performers": _performers(result, name),
                             "at_worst_moment": _worst_facts(result, name, happened)}
    if name == "struck_by_structure":
        entry["structures"] = _structures(result)
    segments = result.segment_risk(name)
    entry["first_failure_by_segment"] = {
        segment: int(count) for segment, count in zip(segments.segments, segments.counts,
                                                      strict=True) if count
    }
    return entry


def summary_sections(result) -> dict[str, Any]:
    return {"kind": "train", "runtime_s": round(result.runtime, 2),
            "performers": list(result.performer_names), "by_segment": _segments(result)}


def matrix_input(result, name: str, happened: np.ndarray,
                 harm: dict[str, np.ndarray]) -> MatrixInput:
    """Severity from P(death) given the hazard (the train's relations give no
    serious-injury figure: :func:`stuntsim.severity.rate_severity` then rates the level
    below death as not excluded)."""
    fatal = harm["fatality"]
    if happened.any():
        count = int(happened.sum())
        return MatrixInput({"fatality": float(fatal[happened].mean()), "serious_injury": None},
                           note=("the one run in which it happened" if count == 1 else
                                 f"mean over the {count} runs in which it happened"))
    # never happened: rate it as if it had, at the 95th percentile of the run's top speed
    speed = float(np.quantile(result.max_speed, 0.95))
    roof = result.resolved.nominal["train.roof_height"]
    p_fatal = float(structure_strike_fatality(speed) if name == "struck_by_structure"
                    else fall_from_train_fatality(speed, roof))
    return MatrixInput({"fatality": p_fatal, "serious_injury": None},
                       note=(f"if it happened at the run's top speed (95th percentile, "
                             f"{speed / KMH:.0f} km/h)"
                             + ("" if name == "struck_by_structure" else ", off the roof")))


def table_notes(info: dict[str, Any]) -> list[str]:
    """Under the hazard table: the structures that struck, where runs first went wrong."""
    lines = []
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
    return lines


def _performers(result, name: str) -> dict[str, Any]:
    hazard = result.hazards[name]
    out = {}
    for j, performer in enumerate(result.performer_names):
        estimate = result.performer_estimates[name][j]
        entry = estimate.to_dict()
        entry.update(margin_stats(result.performer_margins[name][:, j] * hazard.display_scale))
        happened = failed(result.performer_margins[name][:, j])
        if happened.any():
            speed = result.performer_details[name]["speed"][happened, j] * TO_KMH
            entry["speed_kmh_at_worst"] = spread(speed)
            posture = result.performer_details[name]["posture"][happened, j].astype(int)
            entry["posture_at_worst"] = {POSTURE_NAMES[k]: int(np.count_nonzero(posture == k))
                                         for k in np.unique(posture)}
        out[performer] = entry
    return out


def _worst_facts(result, name: str, happened: np.ndarray) -> dict[str, Any]:
    """Facts at the worst moment of the happened samples: speed, where, who."""
    if not happened.any():
        return {}
    facts = result.worst[name]
    who = facts["performer"][happened].astype(int)
    return {
        "speed_kmh": spread(facts["speed"][happened] * TO_KMH),
        "chainage_m": spread(facts["position"][happened]),
        "performer": {result.performer_names[k]: int(np.count_nonzero(who == k))
                      for k in np.unique(who)},
    }


def _structures(result) -> dict[str, Any]:
    out = {}
    for structure, by_performer in result.structure_estimates().items():
        out[structure] = {performer: estimate.to_dict()
                          for performer, estimate in by_performer.items()}
    return out


def _segments(result) -> list[dict[str, Any]]:
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


def failures_csv(result) -> str:
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
                 f"{facts['speed'][sample, j] * TO_KMH:.3g}",
                 POSTURE_NAMES[int(facts["posture"][sample, j])]]
                + [f"{result.draws[name][sample] * scale[name]:.6g}" for name in names]
            )
    return out.getvalue()
