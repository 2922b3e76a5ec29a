"""Failure anatomy of a run, for any stunt kind: what the failing takes have in common.

For each hazard that happened, :func:`anatomy_section` asks the estimator of
:mod:`stuntsim.risk.anatomy` how each uncertain input of the failing takes differs from
all takes (in the scenario's display units: km/h, deg, …), ranks the inputs, and names the
most likely failing take (the highest joint density of its drawn inputs under the
scenario's distributions, which are independent: one stream per input). The section goes
into summary.json (``anatomy``), the terminal table (:func:`anatomy_lines`: the top three
inputs in plain words), report.html (:func:`html_anatomy`) and a figure
(:func:`anatomy_figure`). :func:`subset_section` does the same for subset simulation's
last level (``stuntsim run --method subset``).

Only the kind-independent result is read (draws, margins, the resolved scenario), so the
car and the train get the same section from this one place.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

import numpy as np

from stuntsim import formatting as fmt
from stuntsim.risk.anatomy import (
    FLAG_ALPHA,
    MIN_FAILURES,
    concentration,
    failure_anatomy,
    joint_log_density,
)
from stuntsim.risk.montecarlo import failed
from stuntsim.scenario import describe_path
from stuntsim.units import display_scale, display_unit

__all__ = ["ABOUT", "anatomy_figure", "anatomy_lines", "anatomy_section", "html_anatomy",
           "subset_lines", "subset_section"]

#: How to read the section (summary.json's ``anatomy.about``, the report's lead).
ABOUT = (
    "Per hazard that happened, how the drawn inputs of the failing takes differ from those "
    "of all takes, in the scenario's units: the shift of the median (95 % interval from "
    "order statistics, conservative) and of the mean (95 % t interval), each also in "
    "standard deviations (SD) of the input; the Kolmogorov–Smirnov distance D between the "
    "failing takes' and all takes' distributions (0 … 1) with its p-value (failing against "
    "the other takes, scipy.stats.ks_2samp), Holm-adjusted over the inputs: an input is "
    f"flagged when the adjusted p is below {FLAG_ALPHA}. Inputs are ranked by D. With "
    f"fewer than {MIN_FAILURES} failing takes nothing is ranked (too few failures to say). "
    "The most likely failing take is the failing take whose drawn inputs have the highest "
    "joint density under the scenario's (independent) distributions — the nearest thing "
    "to a design point the takes give; z is each of its inputs in standard-normal terms, "
    "Φ⁻¹(F(x)). Takes that did not get through the stunt are not counted as failing here.")

#: Inputs shown per hazard in the terminal and the figure.
TOP = 3


def anatomy_section(result) -> dict[str, Any]:
    """summary.json's ``anatomy``: ``about``, ``inputs`` (each input's words and unit) and
    ``hazards`` (each hazard that happened: :meth:`Anatomy.to_dict` in display units, with
    the most likely failing take's number and margin)."""
    resolved = result.resolved
    names = [name for name in result.draws if name in resolved.distributions]
    inputs = {name: {"description": _label(resolved, name),
                     "unit": display_unit(resolved.dimensions.get(name, "dimensionless"))}
              for name in names}
    section: dict[str, Any] = {"about": ABOUT, "inputs": inputs, "hazards": {}}
    if not names:
        return section
    draws = {name: np.asarray(result.draws[name], dtype=float) for name in names}
    shown = {name: draws[name] * _scale(resolved, name) for name in names}
    density = joint_log_density(resolved.distributions, draws)
    z = {name: resolved.distributions[name].to_standard_normal(draws[name])
         for name in names}
    for hazard_name, hazard in result.hazards.items():
        margins = np.asarray(result.margins[hazard_name])
        happened = failed(margins)
        if not happened.any():
            continue
        anatomy = failure_anatomy(shown, happened, log_density=density, z=z)
        entry = anatomy.to_dict()
        likely = entry["most_likely_failing"]
        if likely is not None:
            take = likely.pop("index")
            likely = {"take": take,
                      "margin": float(margins[take] * hazard.display_scale),
                      "margin_unit": hazard.unit, **likely}
            entry["most_likely_failing"] = likely
            if likely["runner_up"] is not None:
                likely["runner_up_take"] = likely.pop("runner_up")
            else:
                likely.pop("runner_up")
        entry["words"] = _words(entry, inputs, hazard_name)
        section["hazards"][hazard_name] = entry
    return section


# ------------------------------------------------------------------ the terminal


def anatomy_lines(info: dict[str, Any]) -> list[str]:
    """The terminal's failure-anatomy block (empty when nothing happened): per hazard a
    sentence, its top three inputs as a small table, and the most likely failing take."""
    section = info.get("anatomy") or {}
    hazards = section.get("hazards") or {}
    if not hazards:
        return []
    inputs = section.get("inputs", {})
    lines = ["", "What the failing takes have in common (their inputs against all takes; "
             "shift of the median with its 95 % interval, in SDs of the input; "
             "Kolmogorov–Smirnov distance D, Holm-adjusted p):"]
    for name, entry in hazards.items():
        head = f"{name} ({entry['failures']} of {entry['n']} takes failed): {entry['words']}"
        lines += _wrap(head, 100, "    ")
        if entry["ranking"]:
            lines.append(f"    {'median shift [95 %]':<36} {'SD':>6} {'D':>5} {'p':>8}  input")
        for input_name in entry["ranking"][:TOP]:
            shift = entry["inputs"][input_name]
            about = inputs.get(input_name, {})
            lo, hi = shift["median_shift_ci95"]
            moved = (f"{_signed(shift['median_shift'])} [{_signed(lo)}, {_signed(hi)}] "
                     f"{about.get('unit', '')}").rstrip()
            lines.append(f"    {moved:<36} {_signed(shift['median_shift_sd'], 2):>6} "
                         f"{shift['ks_statistic']:>5.2f} "
                         f"{fmt.probability(shift['ks_pvalue_holm']):>8}  "
                         f"{about.get('description', input_name)}")
        likely = entry.get("most_likely_failing")
        if likely:
            lines += _wrap("    " + _likely_text(likely, inputs, entry["ranking"]), 100,
                           "      ")
    return lines


# ------------------------------------------------------------------ report.html


def html_anatomy(info: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's rows: per hazard its sentence, its ranked inputs (numbers as text) and
    the most likely failing take (plain data: the template escapes it)."""
    section = info.get("anatomy") or {}
    inputs = section.get("inputs", {})
    out = []
    for name, entry in (section.get("hazards") or {}).items():
        rows = []
        for input_name in entry["ranking"]:
            shift = entry["inputs"][input_name]
            about = inputs.get(input_name, {})
            unit = about.get("unit", "")
            rows.append({
                "input": about.get("description", input_name),
                "path": input_name,
                "unit": unit,
                "median_all": _num(shift["median_all"]),
                "median_failing": _num(shift["median_failing"]),
                "median_shift": (f"{_signed(shift['median_shift'])} "
                                 f"[{_signed(shift['median_shift_ci95'][0])}, "
                                 f"{_signed(shift['median_shift_ci95'][1])}]"),
                "median_shift_sd": _signed(shift["median_shift_sd"], 2),
                "mean_shift": (f"{_signed(shift['mean_shift'])} "
                               f"[{_signed(shift['mean_shift_ci95'][0])}, "
                               f"{_signed(shift['mean_shift_ci95'][1])}]"),
                "ks": f"{shift['ks_statistic']:.2f}",
                "p": fmt.probability(shift["ks_pvalue_holm"]),
                "flagged": shift["flagged"],
            })
        likely = entry.get("most_likely_failing")
        likely_rows = []
        if likely:
            for input_name, value in likely["values"].items():
                about = inputs.get(input_name, {})
                z_value = likely.get("z", {}).get(input_name)
                likely_rows.append({"input": about.get("description", input_name),
                                    "value": f"{_num(value)} {about.get('unit', '')}".rstrip(),
                                    "z": _signed(z_value, 2) if z_value is not None else ""})
        out.append({"hazard": name, "failures": entry["failures"], "n": entry["n"],
                    "status": entry["status"], "words": _sentence(entry["words"]), "rows": rows,
                    "likely": _likely_text(likely, inputs, entry["ranking"]) if likely
                    else "",
                    "likely_rows": likely_rows})
    return out


# ------------------------------------------------------------------ the figure


def anatomy_figure(result, info: dict[str, Any]):
    """Overlaid histograms of the top inputs, failing takes against all, one row per
    hazard with enough failures; None when no hazard has."""
    from matplotlib.figure import Figure

    from stuntsim.plots import plot_input_shift

    section = info.get("anatomy") or {}
    hazards = {name: entry for name, entry in (section.get("hazards") or {}).items()
               if entry.get("ranking")}
    if not hazards:
        return None
    inputs = section.get("inputs", {})
    resolved = result.resolved
    rows = len(hazards)
    height = 0.9 + 3.4 * rows
    figure = Figure(figsize=(13, height))
    # a fixed layout (constrained layout doubles the drawing time of this 3 × rows grid)
    figure.subplots_adjust(left=0.06, right=0.99, bottom=0.7 / height,
                           top=1 - 0.6 / height, wspace=0.22, hspace=0.45)
    axes = figure.subplots(rows, TOP, squeeze=False)
    for row, (name, entry) in enumerate(hazards.items()):
        happened = failed(np.asarray(result.margins[name]))
        for column in range(TOP):
            ax = axes[row, column]
            if column >= len(entry["ranking"]):
                figure.delaxes(ax)
                continue
            input_name = entry["ranking"][column]
            shift = entry["inputs"][input_name]
            about = inputs.get(input_name, {})
            unit = about.get("unit", "")
            values = np.asarray(result.draws[input_name]) * _scale(resolved, input_name)
            lo, hi = shift["median_shift_ci95"]
            note = (f"median shift {_signed(shift['median_shift'])} [{_signed(lo)}, "
                    f"{_signed(hi)}] {unit}\n= {_signed(shift['median_shift_sd'], 2)} SD; "
                    f"KS D {shift['ks_statistic']:.2f}, "
                    f"p {fmt.probability(shift['ks_pvalue_holm'])}"
                    + ("" if shift["flagged"] else
                       f"\n(not clear: Holm-adjusted p ≥ {FLAG_ALPHA:g})"))
            label = about.get("description", input_name)
            plot_input_shift(
                ax, values, values[happened],
                xlabel=f"{label} [{unit or '-'}]",
                title=(f"{name.replace('_', ' ')}, {entry['failures']} of {entry['n']} takes "
                       f"failed: input #{column + 1}"),
                note=note, legend=column == 0)
    figure.suptitle("What the failing takes have in common: the three inputs whose "
                    "distribution differs most (Kolmogorov–Smirnov D), failing takes (red) "
                    "against all takes (grey)", fontsize=10)
    return figure


# ------------------------------------------------------------------ subset simulation


def subset_section(subset_result, resolved) -> dict[str, Any] | None:
    """What subset simulation's last level concentrated on, per input: the mean of its
    standard-normal coordinate over the last level's failing samples (all of the level's
    samples when fewer than :data:`MIN_FAILURES` failed, e.g. a run that did not converge)
    — the prior has mean 0 and SD 1, so it is the shift in prior SDs — with a 95 %
    interval between independent replicates, and the value of the input there (x =
    F⁻¹(Φ(z̄)), display units). None when no sample was kept."""
    u, g, replicate, eve = subset_result.last_level()
    names = resolved.uncertain_names
    if u.shape[0] == 0 or u.shape[1] != len(names):
        return None
    failing = g <= 0.0
    use_failing = int(failing.sum()) >= MIN_FAILURES
    keep = failing if use_failing else np.ones(g.size, dtype=bool)
    replicates = int(np.unique(replicate).size)
    clusters = replicate[keep] if replicates >= 2 else eve[keep]
    found = concentration(u[keep], names, clusters)
    out: dict[str, Any] = {
        "samples": int(keep.sum()),
        "which": ("failing samples of the last level (margin ≤ 0)" if use_failing else
                  f"samples of the last level, all of them (fewer than {MIN_FAILURES} "
                  f"failed)"),
        "converged": bool(subset_result.converged),
        "clusters": "independent replicates" if replicates >= 2 else
                    "level-0 ancestors (one replicate)",
        "about": ("mean of each input's standard-normal coordinate over these samples "
                  "(the prior: mean 0, SD 1), its 95 % interval between the clusters "
                  "(Student's t), the samples' SD in that coordinate (below 1: the level "
                  "narrowed on it) and the input's value at the mean (display units); "
                  f"flagged: Holm-adjusted p < {FLAG_ALPHA}"),
        "ranking": [c.name for c in found],
        "inputs": {},
    }
    for item in found:
        dist = resolved.distributions[item.name]
        dimension = resolved.dimensions.get(item.name, "dimensionless")
        entry = item.to_dict()
        entry["description"] = _label(resolved, item.name)
        entry["unit"] = display_unit(dimension)
        entry["value_at_mean_z"] = float(dist.from_standard_normal(item.mean_z)
                                         * display_scale(dimension))
        out["inputs"][item.name] = entry
    return _finite(out)


def subset_lines(name: str, section: dict[str, Any] | None) -> list[str]:
    """The terminal lines of :func:`subset_section` (the top three inputs)."""
    if not section or not section["ranking"]:
        return []
    parts = []
    for input_name in section["ranking"][:TOP]:
        entry = section["inputs"][input_name]
        lo, hi = entry["mean_z_ci95"]
        interval = ("" if not (math.isfinite(lo) and math.isfinite(hi))
                    else f" [{_signed(lo, 2)}, {_signed(hi, 2)}]")
        value = f"{_num(entry['value_at_mean_z'])} {entry['unit']}".rstrip()
        parts.append(f"{entry['description']} z̄ {_signed(entry['mean_z'], 2)}{interval} "
                     f"(SD {entry['sd_z']:.2f}; ≈ {value})"
                     + ("" if entry["flagged"] else ", not clear"))
    text = (f"  {name} ({section['samples']} {section['which']}): " + "; ".join(parts))
    return _wrap(text, 100, "    ")


# ------------------------------------------------------------------ pieces


def _label(resolved, name: str) -> str:
    """An input in plain words: "peak tyre-road friction coefficient (dry sampietrini)"."""
    text = describe_path(resolved.scenario, name)
    if text == name or ": " not in text:
        return text
    label, what = text.split(": ", 1)
    if label.count("(") != label.count(")"):  # a colon inside the description itself
        return text
    return f"{what} ({label})"


def _scale(resolved, name: str) -> float:
    return display_scale(resolved.dimensions.get(name, "dimensionless"))


def _words(entry: dict[str, Any], inputs: dict[str, dict], hazard: str) -> str:
    """The top flagged inputs in one plain sentence."""
    if entry["status"] != "ranked":
        return f"{entry['status']} (fewer than {entry['min_failures']})"
    parts = []
    for input_name in entry["ranking"]:
        shift = entry["inputs"][input_name]
        if not shift["flagged"]:
            continue
        about = inputs.get(input_name, {})
        label, unit = about.get("description", input_name), about.get("unit", "")
        parts.append(_shift_words(shift, label, unit))
        if len(parts) == TOP:
            break
    if not parts:
        return ("no input differs clearly between the failing takes and all takes "
                f"(Kolmogorov–Smirnov, Holm-adjusted {FLAG_ALPHA:g})")
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"the failing takes had {joined}"


def _shift_words(shift: dict[str, Any], label: str, unit: str) -> str:
    """"0.052 lower grip", "0.2 s longer delay", "a wider spread of phase (SD ×1.8)"."""
    for key in ("median_shift", "mean_shift"):
        lo, hi = shift[f"{key}_ci95"]
        if lo is not None and hi is not None and (lo > 0 or hi < 0):
            value = shift[key]
            timed = unit in ("s", "ms", "min", "h")
            word = (("longer" if value > 0 else "shorter") if timed
                    else ("higher" if value > 0 else "lower"))
            amount = f"{_num(abs(value))} {unit}".rstrip()
            average = " on average" if key == "mean_shift" else ""
            return f"{amount} {word} {label}{average}"
    ratio = shift.get("sd_ratio_failing_to_all")
    if ratio is not None and math.isfinite(ratio):
        return f"a {'wider' if ratio > 1 else 'narrower'} spread of {label} (SD ×{ratio:.2g})"
    return f"a different distribution of {label}"


def _likely_text(likely: dict[str, Any], inputs: dict[str, dict],
                 ranking: list[str] | None = None) -> str:
    """The most likely failing take in words, with its values of the hazard's top-ranked
    inputs (or, with no ranking, of the inputs furthest from their medians in z)."""
    z = likely.get("z") or {}
    if ranking:
        shown, what = list(ranking[:TOP]), "its top-ranked inputs"
    else:
        shown = sorted(z, key=lambda name: -abs(z[name] or 0.0))[:TOP]
        what = "its inputs furthest from their medians"
    parts = []
    for name in shown:
        about = inputs.get(name, {})
        value = f"{_num(likely['values'].get(name))} {about.get('unit', '')}".rstrip()
        z_text = f" (z {_signed(z[name], 2)})" if z.get(name) is not None else ""
        parts.append(f"{about.get('description', name)} {value}{z_text}")
    gap = likely.get("log_density_gap_to_runner_up")
    runner = (f"; the next most likely, take {likely['runner_up_take']}, has a log density "
              f"{_num(gap, 2)} lower" if likely.get("runner_up_take") is not None
              and gap is not None else "")
    return (f"most likely failing take: {likely['take']} (margin "
            f"{_num(likely['margin'])} {likely['margin_unit']}{runner}); {what}: "
            + ", ".join(parts))


def _finite(value):
    """JSON-safe: NaN and ±inf become None (summary.json is written with allow_nan=False)."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _num(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    if abs(value) >= 10 ** digits:
        return f"{value:.0f}"
    return f"{value:.{digits}g}" if abs(value) >= 1e-3 else f"{value:.{digits - 1}e}"


def _signed(value: float | None, digits: int = 3) -> str:
    text = _num(value, digits)
    if text in ("n/a", "0") or text.startswith("-"):
        return text
    return "+" + text


def _wrap(text: str, width: int, indent: str) -> list[str]:
    return textwrap.wrap(text, width, subsequent_indent=indent, break_on_hyphens=False) or [""]
