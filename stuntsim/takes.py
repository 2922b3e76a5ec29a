"""The takes of a run as a table, and a finished run saved and reopened.

**The table** (:func:`take_table`, :func:`to_frame`, ``samples.parquet``): one row per
take, with

* every drawn input, named as in the scenario (``maneuver.entry_speed``) and in the unit
  the scenario uses for its kind of quantity (km/h for a speed, deg for an angle: the
  display units of :mod:`stuntsim.units`);
* each hazard's margin (``collision_margin``, in the hazard's unit) and whether it
  happened (``collision``: margin ≤ 0), and ``any_hazard``;
* how the take ended (``ending``: the words of :data:`stuntsim.completion.ENDINGS`);
* the kind's facts: what was hit and how fast (:meth:`StuntKind.take_facts`).

Units are in ``DataFrame.attrs["units"]`` and in the Parquet schema (each field's
``unit`` metadata; the file's ``stuntsim`` metadata also names the scenario, its SHA-256,
the seed and the stuntsim version).

**A saved run** (``result.npz`` beside the summary, with the scenario file copied as
``scenario.yaml``): the result's exact arrays in SI — margins, drawn inputs, every per-take
fact, how each take ended, the kept trajectories — so that :func:`stuntsim.load_result`
rebuilds the
same :class:`~stuntsim.runner.RiskResult` (estimates, completion, the kind's facts) without
simulating: its summary is identical to the one written (tested), and every plot works on
it. NumPy's own format (``np.savez_compressed``) is used for the exact arrays because
Parquet holds the display-unit table for people; the two are written from the same
result.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from stuntsim.completion import ENDINGS
from stuntsim.errors import ScenarioError
from stuntsim.kinds import kind_of
from stuntsim.risk.montecarlo import ANY, failed
from stuntsim.units import display_scale, display_unit
from stuntsim.version import __version__

__all__ = ["read_npz", "result_npz", "take_table", "takes_parquet", "to_frame"]

SAVED_FORMAT = 1  # the layout of result.npz; load_result refuses others


def take_table(result) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The takes table as columns (name → (n,) array) and their units (name → unit)."""
    columns: dict[str, np.ndarray] = {"take": np.arange(result.samples)}
    units: dict[str, str] = {"take": ""}
    dims = result.resolved.dimensions
    for name, values in result.draws.items():
        dimension = dims.get(name, "dimensionless")
        columns[name] = np.asarray(values) * display_scale(dimension)
        units[name] = display_unit(dimension)
    happened_any = np.zeros(result.samples, dtype=bool)
    for name, hazard in result.hazards.items():
        margins = np.asarray(result.margins[name])
        columns[f"{name}_margin"] = margins * hazard.display_scale
        units[f"{name}_margin"] = hazard.unit
        happened = failed(margins)
        columns[name] = happened
        units[name] = ""
        happened_any |= happened
    columns[ANY + "_hazard"] = happened_any
    units[ANY + "_hazard"] = ""
    names = np.array([ENDINGS[code] for code in sorted(ENDINGS)], dtype=object)
    columns["ending"] = names[np.asarray(result.run_ending, dtype=int)]
    units["ending"] = ""
    for name, (values, unit) in kind_of(result.resolved).take_facts(result).items():
        columns[name] = np.asarray(values)
        units[name] = unit
    return columns, units


def to_frame(result):
    """The takes table as a pandas DataFrame indexed by take (``attrs["units"]``)."""
    import pandas as pd

    columns, units = take_table(result)
    frame = pd.DataFrame(columns).set_index("take")
    for name in frame.columns:
        if frame[name].dtype == object:
            frame[name] = frame[name].astype("string")
    frame.attrs["units"] = {k: v for k, v in units.items() if k != "take"}
    frame.attrs["scenario"] = result.name
    frame.attrs["seed"] = result.seed
    return frame


def takes_parquet(result) -> bytes:
    """``samples.parquet``: the takes table with each column's unit in its metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns, units = take_table(result)
    fields, arrays = [], []
    for name, values in columns.items():
        array = pa.array(values.tolist() if values.dtype == object else values)
        arrays.append(array)
        fields.append(pa.field(name, array.type, metadata={"unit": units[name]}))
    meta = {"scenario": result.name, "scenario_sha256": result.resolved.sha256,
            "seed": result.seed, "samples": result.samples, "kind": result.kind,
            "stuntsim_version": __version__, "units": units}
    schema = pa.schema(fields, metadata={"stuntsim": json.dumps(meta)})
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), buffer, compression="zstd")
    return buffer.getvalue()


# ------------------------------------------------------------------ a saved run


def result_npz(result) -> bytes:
    """``result.npz``: the exact arrays and facts :func:`load_result` needs."""
    arrays: dict[str, np.ndarray] = {}
    for prefix, group in (("margin", result.margins), ("draw", result.draws),
                          ("detail", result.details), ("trajectory", result.trajectories)):
        for name, values in group.items():
            arrays[f"{prefix}/{name}"] = np.asarray(values)
    arrays["trajectory_samples"] = np.asarray(result.trajectory_samples)
    arrays["run_ending"] = np.asarray(result.run_ending)
    arrays["run_progress"] = np.asarray(result.run_progress)
    meta = {"format": SAVED_FORMAT, "samples": result.samples, "seed": result.seed,
            "method": result.method, "runtime": result.runtime,
            "warnings": list(result.warnings), "stuntsim_version": __version__,
            "source": result.resolved.source,
            "scenario_sha256": result.resolved.sha256}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def read_npz(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, np.ndarray]],
                                  dict[str, np.ndarray]]:
    """``result.npz`` back: (meta, groups "margin"/"draw"/"detail"/"trajectory" → name →
    array, the other arrays by name)."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        if meta.get("format") != SAVED_FORMAT:
            raise ScenarioError(f"{path}: saved in format {meta.get('format')}, this "
                                f"stuntsim reads format {SAVED_FORMAT}", source=str(path))
        groups: dict[str, dict[str, np.ndarray]] = {
            "margin": {}, "draw": {}, "detail": {}, "trajectory": {}}
        rest: dict[str, np.ndarray] = {}
        for key in data.files:
            if "/" in key:
                prefix, name = key.split("/", 1)
                groups[prefix][name] = data[key]
            elif key != "meta":
                rest[key] = data[key]
    return meta, groups, rest
