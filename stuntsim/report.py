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
from stuntsim.risk.montecarlo import ANY, margin_quantiles
from stuntsim.runner import RiskResult
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
        "warnings": list(result.warnings),
        "parameters": {
            "nominal": {key: value for key, value in sorted(resolved.nominal.items())},
            "units": "SI (m, s, kg, rad, N, W)",
            "uncertain": {
                key: _describe_distribution(dist) for key, dist in resolved.distributions.items()
            },
        },
    }


def _hazard_details(result: RiskResult, name: str) -> dict[str, Any]:
    failed = result.margins[name] < 0
    details = result.details
    if name == "collision" and failed.any():
        objects = details["collision_object"][failed]
        speeds = details["collision_speed"][failed] * 3.6
        counts = {
            result.street.collision_solids[i].name: int(np.count_nonzero(objects == i))
            for i in np.unique(objects) if i >= 0
        }
        return {
            "objects_hit": counts,
            "impact_speed_kmh": _spread(speeds),
            "impact_angle_deg": _spread(np.degrees(details["collision_angle"][failed])),
        }
    if name == "person_struck" and failed.any():
        people = details["person_index"][failed]
        counts = {}
        for i in np.unique(people):
            if i >= 0:
                person = result.street.people[i]
                counts[f"{person.name} ({person.role})"] = int(np.count_nonzero(people == i))
        return {
            "people_struck": counts,
            "impact_speed_kmh": _spread(details["person_speed"][failed] * 3.6),
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


def format_table(result: RiskResult) -> str:
    """A plain-text summary table for the terminal."""
    info = summary(result)
    lines = [
        f"{info['scenario']}",
        f"{result.samples} samples, seed {result.seed}, method {result.method}",
        "",
        f"{'hazard':<18} {'probability':>11}  {'95 % interval':<21} {'failures/n':>14}  "
        f"{'worst margin':>14}",
        "-" * 84,
    ]
    for name, entry in info["hazards"].items():
        worst = entry["worst_margin"]
        worst_text = "n/a" if worst is None else f"{worst:.3g} {entry['margin_unit']}"
        lo, hi = entry["ci95"]
        lines.append(
            f"{name:<18} {entry['probability']:>11.4f}  [{lo:.4f}, {hi:.4f}]"
            f"{'':<3} {entry['failures']:>6}/{result.samples:<7}  {worst_text:>14}"
        )
    anyh = info["any_hazard"]
    lo, hi = anyh["ci95"]
    lines.append("-" * 84)
    lines.append(
        f"{'any hazard':<18} {anyh['probability']:>11.4f}  [{lo:.4f}, {hi:.4f}]"
        f"{'':<3} {anyh['failures']:>6}/{result.samples:<7}"
    )
    for name, entry in info["hazards"].items():
        counts = entry.get("objects_hit") or entry.get("people_struck")
        if counts:
            hits = ", ".join(f"{k}: {v}" for k, v in counts.items())
            speed = entry["impact_speed_kmh"]
            lines.append(
                f"  {name}: {hits}; impact speed median {speed['median']:.0f} km/h, "
                f"max {speed['max']:.0f} km/h"
            )
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
        failed = np.flatnonzero(result.margins[hazard_name] < 0)
        for sample in failed:
            if hazard_name == "person_struck":
                hit = result.person_hit(sample)
                speed = result.details["person_speed"][sample] * 3.6
            elif hazard_name == "collision":
                hit = result.object_hit(sample)
                speed = result.details["collision_speed"][sample] * 3.6
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


def write_summary(result: RiskResult, out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    written = []
    info = summary(result)
    target = out_dir / "summary.json"
    write_atomic(target, (json.dumps(info, indent=2, allow_nan=False) + "\n").encode())
    written.append(target)
    target = out_dir / "failures.csv"
    write_atomic(target, failures_csv(result).encode())
    written.append(target)
    return written
