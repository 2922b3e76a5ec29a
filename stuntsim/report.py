"""The summary of a run: a table for the terminal, summary.json and failures.csv.

Files are written atomically (to a temporary file in the same folder, then renamed), so a
reader never sees half a file.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from stuntsim import __version__
from stuntsim.hazards import CAR_HARM_RELATIONS, car_harm
from stuntsim.risk.montecarlo import ANY, bounded_mean, failed, margin_quantiles
from stuntsim.runner import RiskResult
from stuntsim.severity import DEFAULT_MATRIX, over_takes
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
        matrix[name] = _matrix_cell(estimate, harm[name], failed(result.margins[name]),
                                    _credible_worst(name, result))
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
    from stuntsim.car.field_of_view import field_of_view

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


def _credible_worst(name: str, result: RiskResult) -> dict[str, float] | None:
    """For a hazard that never happened: the harm if it had, at the car's speed when it came
    closest (95th percentile over the samples) — so a person who was never struck is still
    rated by how fast the car passed them; a drop nobody went over, by its height."""
    from stuntsim import severity

    if name == "departure" and result.street.drops:
        height = max(drop.height for drop in result.street.drops)
        return {"fatality": float(severity.fall_fatality(height)),
                "basis": f"if it happened: a fall from the {height:.0f} m drop (nominal)"}
    if name != "person_struck":
        return None
    speeds = result.details["person_closest_speed"]
    speeds = speeds[np.isfinite(speeds)]
    if speeds.size == 0:
        return None
    from stuntsim import severity

    speed = float(np.quantile(speeds, 0.95))
    return {"fatality": float(severity.pedestrian_fatality_rosen_sander(speed)),
            "serious_injury": float(severity.pedestrian_tefft(speed)["serious"]),
            "basis": f"if it happened at the car's speed when closest (95th percentile, "
                     f"{speed * 3.6:.0f} km/h)"}


def _matrix_cell(estimate, harm: dict[str, np.ndarray], happened: np.ndarray,
                 if_it_happened: dict[str, float] | None = None) -> dict:
    """Likelihood × severity cell of one hazard (severity from harm given the hazard)."""
    likelihood = int(DEFAULT_MATRIX.likelihood(estimate.ci95[1]))
    cell: dict[str, Any] = {"likelihood": likelihood,
                            "likelihood_basis": "upper 95 % bound per take"}
    conditional = {}
    for outcome in ("fatality", "serious_injury"):
        values = harm[outcome]
        if np.isnan(values).all():
            continue
        conditional[outcome] = float(values[happened].mean()) if happened.any() else 0.0
    if not conditional:
        cell.update({"severity": None, "score": None, "band": "not rated (no harm relation)"})
        return cell
    if not happened.any():
        if if_it_happened is None:
            cell.update({"severity": None, "score": None,
                         "band": "not rated (the hazard never happened in this run)"})
            return cell
        conditional = {key: if_it_happened[key] for key in ("fatality", "serious_injury")
                       if key in if_it_happened}
        cell["severity_basis"] = if_it_happened["basis"]
    severity = int(DEFAULT_MATRIX.severity(p_fatal=conditional.get("fatality", 0.0),
                                           p_major=conditional.get("serious_injury", 0.0)))
    score, band = DEFAULT_MATRIX.rating(np.int64(likelihood), np.int64(severity))
    cell.update({"severity": severity, "score": int(score), "band": str(band),
                 "given_hazard": conditional})
    return cell


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
    rule = "-" * (w + 66)
    lines = [
        f"{info['scenario']}",
        f"{result.samples} samples, seed {result.seed}, method {result.method}",
        "",
        f"{'hazard':<{w}} {'probability':>11}  {'95 % interval':<21} {'failures/n':>14}  "
        f"{'worst margin':>14}",
        rule,
    ]
    for name, entry in info["hazards"].items():
        worst = entry["worst_margin"]
        worst_text = "n/a" if worst is None else f"{worst:.3g} {entry['margin_unit']}"
        lo, hi = entry["ci95"]
        lines.append(
            f"{name:<{w}} {entry['probability']:>11.4f}  [{lo:.4f}, {hi:.4f}]"
            f"{'':<3} {entry['failures']:>6}/{result.samples:<7}  {worst_text:>14}"
        )
    anyh = info["any_hazard"]
    lo, hi = anyh["ci95"]
    lines.append(rule)
    lines.append(
        f"{'any hazard':<{w}} {anyh['probability']:>11.4f}  [{lo:.4f}, {hi:.4f}]"
        f"{'':<3} {anyh['failures']:>6}/{result.samples:<7}"
    )
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
    lines.append(f"{'hazard':<{w}} {'risk matrix (L × S)':<24} {'fatality / take':>16}  "
                 f"{'serious injury / take':>22}")
    for name, entry in info["hazards"].items():
        cell = info["risk_matrix"]["hazards"][name]
        rating = (f"{cell['likelihood']} × {cell['severity']} = {cell['score']} "
                  f"{cell['band']}" if cell["score"] is not None else "not rated")
        harm = entry["harm"]
        texts = []
        for outcome in ("fatality", "serious_injury"):
            value = harm[outcome]["expected_per_take"]
            texts.append("no relation" if value is None else f"{value:.2g}")
        lines.append(f"{name:<{w}} {rating:<24} {texts[0]:>16}  {texts[1]:>22}")
    takes = info["any_hazard"]["over_takes"]
    if takes["takes"] > 1:
        lo, hi = takes["ci95"]
        lines.append(f"over {takes['takes']} takes: P(any hazard) = "
                     f"{takes['probability']:.3g} [{lo:.3g}, {hi:.3g}]")
    for note in result.warnings:
        lines.append(f"warning: {note}")
    return "\n".join(lines)


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
                    hit,
                    "" if not math.isfinite(speed) else f"{speed:.3g}",
                ]
                + [f"{result.draws[name][sample] * scale[name]:.6g}" for name in names]
            )
    return out.getvalue()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_summary(
    result: RiskResult, out_dir: Path, info: dict[str, Any] | None = None
) -> list[Path]:
    out_dir = Path(out_dir)
    written = []
    info = summary(result) if info is None else info
    target = out_dir / "summary.json"
    write_atomic(target, (json.dumps(info, indent=2, allow_nan=False) + "\n").encode())
    written.append(target)
    target = out_dir / "failures.csv"
    write_atomic(target, failures_csv(result).encode())
    written.append(target)
    return written
