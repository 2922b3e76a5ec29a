"""The summary of a run: a table for the terminal, summary.json and failures.csv.

Files are written atomically (to a temporary file in the same folder, then renamed), so a
reader never sees half a file.
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
from stuntsim.hazards import CAR_HARM_RELATIONS, car_harm
from stuntsim.outputs import OutputDir, csv_text, owned_by
from stuntsim.outputs import write_atomic as write_atomic  # re-exported (older callers)
from stuntsim.risk.montecarlo import ANY, bounded_mean, failed, margin_quantiles
from stuntsim.runner import RiskResult
from stuntsim.severity import describe_cell, matrix_cell, over_takes
from stuntsim.units import display_scale, display_unit

QUANTILES = (0.001, 0.01, 0.05, 0.5, 0.95)


def summary(result: RiskResult) -> dict[str, Any]:
    """The run as a JSON-ready dict (see README: summary.json)."""
    resolved = result.resolved
    hazards = {}
    for name, hazard in result.hazards.items():
        estimate = result.estimates[name]
        margins = result.margins[name] * hazard.display_scale
        finite = margins[np.isfinite(margins)]
        entry = estimate.to_dict()
        entry.update(
            {
                "description": hazard.description,
                "margin_unit": hazard.unit,
                "margin_quantiles": margin_quantiles(finite, QUANTILES) if finite.size else {},
                "worst_margin": float(finite.min()) if finite.size else None,
                "applicable": bool(finite.size),
            }
        )
        entry.update(_hazard_details(result, name))
        hazards[name] = entry
    any_hazard = result.estimates[ANY].to_dict()
    view = driver_view(result)
    takes = resolved.scenario.takes
    harm = car_harm(result.margins, result.details)
    matrix = {}
    for name, entry in hazards.items():
        estimate = result.estimates[name]
        p_all, (lo_all, hi_all) = over_takes(estimate.probability, estimate.ci95, takes)
        entry["over_takes"] = {"takes": takes, "probability": float(p_all),
                               "ci95": [float(lo_all), float(hi_all)]}
        entry["harm"] = _harm_entry(name, harm[name])
        matrix[name] = _matrix_cell(name, estimate, harm[name], failed(result.margins[name]),
                                    result)
    p_all, (lo_all, hi_all) = over_takes(
        result.estimates[ANY].probability, result.estimates[ANY].ci95, takes
    )
    any_hazard["over_takes"] = {"takes": takes, "probability": float(p_all),
                                "ci95": [float(lo_all), float(hi_all)]}
    return {
        "scenario": result.name,
        "scenario_file": resolved.source,
        "scenario_sha256": resolved.sha256,
        "stuntsim_version": __version__,
        "method": result.method,
        "samples": result.samples,
        "seed": result.seed,
        "model_evaluations": result.samples,
        "hazards": hazards,
        "any_hazard": any_hazard,
        "risk_matrix": {
            "scale": "5 × 5: likelihood per take (1 very unlikely < 1e-4 … 5 very likely ≥ 0.1, "
                     "one per decade) × severity (1 negligible … 5 fatal: the worst outcome "
                     "with ≥ 1 % probability given the hazard); score = product; bands low "
                     "1–4, medium 5–9, high 10–15, very high 16–25 (stuntsim convention)",
            "hazards": matrix,
        },
        **({"driver_view": view} if view is not None else {}),
        "completion": result.completion.to_dict() if result.completion else None,
        "warnings": list(result.warnings),
        "parameters": {
            "nominal": {key: value for key, value in sorted(resolved.nominal.items())},
            "units": "SI (m, s, kg, rad, N, W)",
            "uncertain": {
                key: _describe_distribution(dist) for key, dist in resolved.distributions.items()
            },
        },
    }


def driver_view(result: RiskResult) -> dict[str, Any] | None:
    """The static field of view from the driver's seat (a standing adult and a 1 m child at
    10 m) when the car carries a camera rig or someone steps out; None otherwise."""
    scenario = result.resolved.scenario
    if not (scenario.rig.active_mounts() or scenario.street.people_stepping_out):
        return None
    from stuntsim.kinds.car.field_of_view import field_of_view

    return {
        "adult_1.7m_at_10m": field_of_view(result.resolved, person_height=1.7).to_dict(),
        "child_1.0m_at_10m": field_of_view(result.resolved, person_height=1.0).to_dict(),
    }


def _harm_entry(name: str, harm: dict[str, np.ndarray]) -> dict[str, Any]:
    """Expected harm per take (probability of death / serious injury) with its interval."""
    relations = CAR_HARM_RELATIONS[name]
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


#: Hazards whose harm is rated under the hazards they lead to (no harm of their own).
HARM_ELSEWHERE = {
    "loss_of_control": "its harm is rated under the collision, departure or rollover it "
                       "leads to",
    "person_not_seen_in_time": "a warning: its harm is rated under person_struck",
}


def _if_it_happened(name: str, result: RiskResult) -> tuple[dict[str, float], str] | None:
    """For a hazard that never happened: the harm if it had, and on what basis — a person
    never struck at the car's speed when it came closest to them, a wall never touched
    head-on at the car's top speed, a drop nobody went over from its height, a rollover at
    the field rate per rollover (95th percentiles over the takes)."""
    from stuntsim import severity

    if name == "departure" and result.street.drops:
        height = max(drop.height for drop in result.street.drops)
        return ({"fatality": float(severity.fall_fatality(height))},
                f"if it happened: a fall from the {height:.0f} m drop (nominal)")
    if name in ("rollover", "tripped_rollover"):
        return ({"serious_injury": float(severity.rollover_serious_injury())},
                "if it happened: the field rate per rollover")
    if name == "person_struck":
        speeds = result.details["person_closest_speed"]
        speeds = speeds[np.isfinite(speeds)]
        if speeds.size == 0:
            return None
        speed = float(np.quantile(speeds, 0.95))
        return ({"fatality": float(severity.pedestrian_fatality_rosen_sander(speed)),
                 "serious_injury": float(severity.pedestrian_tefft(speed)["serious"])},
                f"if it happened at the car's speed when closest (95th percentile, "
                f"{speed / KMH:.0f} km/h)")
    if name == "collision":
        speed = float(np.quantile(result.details["max_speed"], 0.95))
        delta_v = severity.delta_v_rigid_barrier(speed)
        return ({"fatality": float(severity.occupant_fatality_frontal(delta_v)),
                 "serious_injury": float(severity.occupant_mais3_frontal(delta_v))},
                f"if it happened head-on at the car's top speed (95th percentile, "
                f"{speed / KMH:.0f} km/h)")
    return None


def _matrix_cell(name: str, estimate, harm: dict[str, np.ndarray], happened: np.ndarray,
                 result: RiskResult) -> dict:
    """Likelihood × severity cell of one car hazard (severity from harm given the hazard)."""
    relations = CAR_HARM_RELATIONS[name]
    if name in HARM_ELSEWHERE:
        return matrix_cell(estimate, None, not_rated=HARM_ELSEWHERE[name])
    note = None
    if happened.any():
        given = {outcome: float(harm[outcome][happened].mean())
                 for outcome in ("fatality", "serious_injury") if relations[outcome]}
        note = f"mean over the {int(happened.sum())} takes in which it happened"
    else:
        known = _if_it_happened(name, result)
        if known is None:
            return matrix_cell(estimate, None,
                               not_rated="the hazard never happened and has no "
                                         "'if it happened' basis in this scene")
        given, note = known
    given = {outcome: given.get(outcome) if relations[outcome] else None
             for outcome in ("fatality", "serious_injury")}
    return matrix_cell(estimate, given, sources=relations, severity_note=note,
                       lower_bound=("serious_injury",) if name == "person_struck" else ())


def _hazard_details(result: RiskResult, name: str) -> dict[str, Any]:
    happened = failed(result.margins[name])
    details = result.details
    if name == "collision" and happened.any():
        objects = details["collision_object"][happened]
        speeds = details["collision_speed"][happened] * 3.6
        counts = {
            result.street.collision_name(int(i)): int(np.count_nonzero(objects == i))
            for i in np.unique(objects) if i >= 0
        }
        return {
            "objects_hit": counts,
            "impact_speed_kmh": _spread(speeds),
            "impact_angle_deg": _spread(np.degrees(details["collision_angle"][happened])),
        }
    if name == "person_struck" and happened.any():
        people = details["person_index"][happened]
        counts = {}
        for i in np.unique(people):
            if i >= 0:
                counts[result.street.person_label(int(i))] = int(np.count_nonzero(people == i))
        out = {
            "people_struck": counts,
            "impact_speed_kmh": _spread(details["person_speed"][happened] * 3.6),
        }
        front = details["walker_struck_front"][happened]
        if np.isfinite(front).any():  # people stepping out: by the front or walking into a side
            out["people_stepping_out_struck_by"] = {
                "front": int(np.count_nonzero(front == 1.0)),
                "side": int(np.count_nonzero(front == 0.0)),
                "note": "the harm uses the car's speed for both (conservative for a person "
                        "walking into the flank)",
            }
        return out
    if name == "person_not_seen_in_time" and happened.any():
        seen = details["walker_seen_time"][happened]
        out = details["walker_step_out_time"][happened]
        return {
            # judged when the car's front reached their path unseen (D ≤ 0 then)
            "unseen_when_the_car_reached_their_path": int(np.count_nonzero(
                details["walker_sight_distance"][happened] <= 0.0)),
            "time_to_first_sight_s": _spread((seen - out)[np.isfinite(seen)]),
            "sight_distance_m": _spread(details["walker_sight_distance"][happened]),
            "speed_when_seen_kmh": _spread(details["walker_sight_speed"][happened] * 3.6),
        }
    if name == "departure" and happened.any():
        drops = details["departure_drop"][happened]
        counts = {
            result.street.drops[i].name: int(np.count_nonzero(drops == i))
            for i in np.unique(drops) if i >= 0
        }
        breached = details["barrier_breached"][happened]
        through = {
            result.street.barriers[i].name: int(np.count_nonzero(breached == i))
            for i in np.unique(breached) if i >= 0
        }
        return {
            "edges_crossed": counts,
            "through_barrier": through,
            "impact_speed_kmh": _spread(details["departure_speed"][happened] * 3.6),
            "fall_height_m": _spread(details["departure_height"][happened]),
        }
    return {}


def _spread(values: np.ndarray) -> dict[str, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {}
    return {
        "median": float(np.median(values)),
        "q0.95": float(np.quantile(values, 0.95)),
        "max": float(values.max()),
    }


def _describe_distribution(dist) -> dict[str, Any]:
    out: dict[str, Any] = {"dist": type(dist).__name__}
    for key, value in vars(dist).items():
        if isinstance(value, int | float):
            out[key] = float(value)
    return out


def format_table(result: RiskResult, info: dict[str, Any] | None = None) -> str:
    """A plain-text summary table for the terminal."""
    info = summary(result) if info is None else info
    w = max(18, *(len(name) for name in info["hazards"]))  # hazard column
    rule = "-" * (w + 72)
    completion = info.get("completion")
    lines = [
        f"{info['scenario']}",
        f"{result.samples} takes, seed {result.seed}, method {result.method}"
        + (f"; {completion['completed']} of {completion['n']} got through the stunt "
           f"({completion['share']:.1%})" if completion else ""),
    ]
    lines += [f"WARNING: {note}" for note in info["warnings"]]
    lines += [
        "",
        f"{'hazard':<{w}} {'probability':>11}  {'95 % interval':<22} {'failures/n':>15}  "
        f"{'worst margin':>14}",
        rule,
    ]
    for name, entry in info["hazards"].items():
        worst = entry["worst_margin"]
        worst_text = "n/a" if worst is None else f"{worst:.3g} {entry['margin_unit']}"
        lines.append(_probability_row(name, entry, w, worst_text))
    lines.append(rule)
    lines.append(_probability_row("any hazard", info["any_hazard"], w, ""))
    for name, entry in info["hazards"].items():
        counts = (entry.get("objects_hit") or entry.get("people_struck")
                  or entry.get("edges_crossed"))
        if counts:
            hits = ", ".join(f"{k}: {v}" for k, v in counts.items())
            speed = entry["impact_speed_kmh"]
            what = "speed at the edge" if name == "departure" else "impact speed"
            where = entry.get("people_stepping_out_struck_by")
            if where:
                hits += f" (by the front: {where['front']}, walked into a side: {where['side']})"
            through = entry.get("through_barrier")
            if through:
                hits += " (through " + ", ".join(f"{k}: {v}" for k, v in through.items()) + ")"
            lines.append(
                f"  {name}: {hits}; {what} median {speed['median']:.0f} km/h, "
                f"max {speed['max']:.0f} km/h"
            )
        if name == "person_not_seen_in_time" and entry.get("sight_distance_m"):
            late = entry.get("time_to_first_sight_s") or {}
            seen_text = (f"first seen a median {late['median']:.1f} s after stepping out, "
                         if late else "")
            lines.append(
                f"  {name}: unseen when the car reached their path: "
                f"{entry['unseen_when_the_car_reached_their_path']}; {seen_text}at a median "
                f"{entry['speed_when_seen_kmh'].get('median', float('nan')):.0f} km/h"
            )
    lines.append("")
    lines += format_matrix(info)
    return "\n".join(lines)


def _probability_row(name: str, entry: dict[str, Any], w: int, worst_text: str) -> str:
    """One row of the hazard table: probability, interval, failures/n, worst margin."""
    lo, hi = entry["ci95"]
    return (f"{name:<{w}} {fmt.probability(entry['probability']):>11}  "
            f"{fmt.interval(lo, hi):<22} {entry['failures']:>7}/{entry['n']:<7}  "
            f"{worst_text:>14}").rstrip()


def format_matrix(info: dict[str, Any]) -> list[str]:
    """The risk-matrix rows with the basis of each cell, and the harm per take (any kind)."""
    w = max(18, *(len(name) for name in info["hazards"]))
    lines = [f"{'hazard':<{w}} {'risk matrix: likelihood × severity':<44} "
             f"{'fatality / take':>16}  {'serious injury / take':>22}"]
    for name, entry in info["hazards"].items():
        cell = info["risk_matrix"]["hazards"][name]
        rating, *basis = describe_cell(cell)
        harm = entry["harm"]
        texts = []
        for outcome in ("fatality", "serious_injury"):
            value = harm.get(outcome, {}).get("expected_per_take")
            texts.append("no relation" if value is None else fmt.probability(value))
        head, *rest = _wrap(rating, 44)
        lines.append(f"{name:<{w}} {head:<44} {texts[0]:>16}  {texts[1]:>22}")
        lines += [f"{'':<{w}} {part}" for part in rest]
        for text in basis:
            lines += [f"{'':<{w}}   {part}" for part in _wrap(text, 90)]
    takes = info["any_hazard"]["over_takes"]
    if takes["takes"] > 1:
        lo, hi = takes["ci95"]
        lines.append(f"over {takes['takes']} takes: P(any hazard) = "
                     f"{fmt.probability(takes['probability'])} {fmt.interval(lo, hi)}")
    return lines


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def failures_csv(result: RiskResult) -> str:
    """One row per failing sample and hazard: its drawn inputs and what it hit."""
    names = list(result.draws)
    dims = result.resolved.dimensions
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["sample", "hazard", "margin", "margin_unit", "object_hit", "impact_speed_kmh"]
    header += [f"{name} [{display_unit(dims.get(name, 'dimensionless'))}]" for name in names]
    writer.writerow(header)
    scale = {name: display_scale(dims.get(name, "dimensionless")) for name in names}
    for hazard_name, hazard in result.hazards.items():
        happened = np.flatnonzero(failed(result.margins[hazard_name]))
        for sample in happened:
            if hazard_name == "person_struck":
                hit = result.person_hit(sample)
                speed = result.details["person_speed"][sample] * 3.6
            elif hazard_name == "collision":
                hit = result.object_hit(sample)
                speed = result.details["collision_speed"][sample] * 3.6
            elif hazard_name == "departure":
                drop = int(result.details["departure_drop"][sample])
                hit = result.street.drops[drop].name if drop >= 0 else ""
                speed = result.details["departure_speed"][sample] * 3.6
            else:
                hit, speed = "", math.nan
            writer.writerow(
                [
                    int(sample),
                    hazard_name,
                    f"{result.margins[hazard_name][sample] * hazard.display_scale:.6g}",
                    hazard.unit,
                    csv_text(hit),
                    "" if not math.isfinite(speed) else f"{speed:.3g}",
                ]
                + [f"{result.draws[name][sample] * scale[name]:.6g}" for name in names]
            )
    return out.getvalue()


def summary_files(result: RiskResult, info: dict[str, Any] | None = None) -> dict[str, bytes]:
    """The run's data files: ``summary.json`` and ``failures.csv``, as bytes."""
    info = summary(result) if info is None else info
    return {"summary.json": (json.dumps(info, indent=2, allow_nan=False) + "\n").encode(),
            "failures.csv": failures_csv(result).encode()}


def write_summary(
    result: RiskResult, out_dir: Path, info: dict[str, Any] | None = None
) -> list[Path]:
    """Write :func:`summary_files` into ``out_dir`` as a run's outputs, replacing the
    previous run's files there as a whole (:class:`stuntsim.outputs.OutputDir`)."""
    output = OutputDir(Path(out_dir), owned_by("run"))
    for name, data in summary_files(result, info).items():
        output.add(name, data)
    return output.commit()
