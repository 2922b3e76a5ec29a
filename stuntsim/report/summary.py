"""summary.json of a run of any kind: per hazard the probability with its interval, the
margins, what happened (the kind's facts), the harm and the risk-matrix cell; the takes'
completion, the warnings, and every parameter for reproducing the run.

The kind adds its facts through :class:`~stuntsim.kinds.base.StuntKind`'s hooks; nothing
here knows a kind by name.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from stuntsim import __version__
from stuntsim.kinds import kind_of
from stuntsim.outputs import OutputDir, owned_by
from stuntsim.report.anatomy import anatomy_section
from stuntsim.risk.montecarlo import ANY, QUANTILES, bounded_mean, failed, margin_stats
from stuntsim.severity import matrix_cell, over_takes
from stuntsim.takes import result_npz, takes_parquet

__all__ = ["QUANTILES", "summary", "summary_files", "write_summary"]


MATRIX_SCALE = ("5 × 5: likelihood per take (1 very unlikely < 1e-4 … 5 very likely ≥ 0.1, "
                "one per decade) × severity (1 negligible … 5 fatal: the worst outcome "
                "with ≥ 1 % probability given the hazard); score = product; bands low "
                "1–4, medium 5–9, high 10–15, very high 16–25 (stuntsim convention)")


def summary(result) -> dict[str, Any]:
    """The run as a JSON-ready dict (README: summary.json); NaN and infinities become None."""
    kind = kind_of(result.resolved)
    resolved = result.resolved
    takes = resolved.scenario.takes
    harm = kind.harm(result)
    hazards = {}
    matrix = {}
    for name, hazard in result.hazards.items():
        estimate = result.estimates[name]
        entry = estimate.to_dict()
        entry.update(margin_stats(result.margins[name] * hazard.display_scale))
        entry.update({"description": hazard.description, "margin_unit": hazard.unit})
        entry.update(kind.hazard_facts(result, name))
        entry["over_takes"] = _over_takes(estimate, takes)
        entry["harm"] = _harm_entry(kind.harm_relations[name], harm[name])
        hazards[name] = entry
        matrix[name] = _matrix_cell(kind, result, name, harm[name])
    any_hazard = result.estimates[ANY].to_dict()
    any_hazard["over_takes"] = _over_takes(result.estimates[ANY], takes)
    return _clean({
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
        "risk_matrix": {"scale": MATRIX_SCALE, "hazards": matrix},
        "anatomy": anatomy_section(result),
        **kind.summary_sections(result),
        "completion": result.completion.to_dict() if result.completion else None,
        "warnings": list(result.warnings),
        "parameters": {
            "nominal": {key: value for key, value in sorted(resolved.nominal.items())},
            "units": kind.units,
            "uncertain": {key: _describe_distribution(dist)
                          for key, dist in resolved.distributions.items()},
        },
    })


def summary_files(result, info: dict[str, Any] | None = None) -> dict[str, bytes]:
    """The run's data files as bytes: ``summary.json``, ``failures.csv``,
    ``samples.parquet`` (one row per take, :mod:`stuntsim.takes`) and, for a scenario read
    from a file, ``scenario.yaml`` (that file) with ``result.npz`` (the exact arrays),
    from which :func:`stuntsim.load_result` reopens the run."""
    info = summary(result) if info is None else info
    files = {"summary.json": (json.dumps(info, indent=2, allow_nan=False) + "\n").encode(),
             "failures.csv": kind_of(result.resolved).failures_csv(result).encode(),
             "samples.parquet": takes_parquet(result)}
    if result.resolved.text:
        files["scenario.yaml"] = result.resolved.text.encode()
        files["result.npz"] = result_npz(result)
    return files


def write_summary(result, out_dir: Path, info: dict[str, Any] | None = None) -> list[Path]:
    """Write :func:`summary_files` into ``out_dir`` as a run's outputs, replacing the
    previous run's files there as a whole (:class:`stuntsim.outputs.OutputDir`)."""
    output = OutputDir(Path(out_dir), owned_by("run"))
    for name, data in summary_files(result, info).items():
        output.add(name, data)
    return output.commit()


# --------------------------------------------------------------------------------------
# pieces
# --------------------------------------------------------------------------------------


def _over_takes(estimate, takes: int) -> dict[str, Any]:
    p_all, (lo, hi) = over_takes(estimate.probability, estimate.ci95, takes)
    return {"takes": takes, "probability": float(p_all), "ci95": [float(lo), float(hi)]}


def _harm_entry(relations, harm: dict[str, np.ndarray]) -> dict[str, Any]:
    """Expected harm per take (probability of death / serious injury) with its interval."""
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


def _matrix_cell(kind, result, name: str, harm: dict[str, np.ndarray]) -> dict[str, Any]:
    """Likelihood × severity cell of one hazard (severity inputs from the kind)."""
    estimate = result.estimates[name]
    given = kind.matrix_input(result, name, failed(result.margins[name]), harm)
    if given.given is None:
        return matrix_cell(estimate, None, not_rated=given.not_rated)
    return matrix_cell(estimate, given.given, sources=kind.harm_relations[name],
                       severity_note=given.note, lower_bound=given.lower_bound)


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
