"""``report.html``: one self-contained page a safety officer can forward or print.

Built from what a finished output folder holds — ``summary.json``, the figures, the
scenario file, and ``comparison.json`` / ``envelope.json`` / ``sensitivity.json`` when those
studies were run into the same folder — so ``stuntsim report DIR`` rebuilds it without
simulating, and ``stuntsim run`` writes it with the other files. Sections in the order a
safety officer reads: the stunt and its verdict, the hazard table, the risk matrix and
where each likelihood comes from, the harm, the mitigations compared, what drives the
risk, every value of the scenario with its source or marked ASSUMED, the warnings, and
how to reproduce the run.

The page is a Jinja2 template (``templates/report.html.j2``) with autoescaping on: names
come from scenario files. Figures are inline PNG (``data:`` URIs); there are no external
scripts, fonts, styles or images, so it reads offline and prints (a print stylesheet
keeps figures and table rows whole across pages). A few lines of inline script only
record, for the browser test, that every figure decoded and whether a script error
occurred (``data-figures-visible``, ``data-errors`` on ``<body>``).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import jinja2

from stuntsim import formatting as fmt
from stuntsim.report.anatomy import html_anatomy
from stuntsim.report.assumptions import file_values

__all__ = ["FIGURE_TITLES", "render_report", "report_from_directory"]

#: Figures in the order the report shows them, with their captions.
FIGURE_TITLES = {
    "scene": "The scene from above, with the simulated takes coloured by outcome",
    "worst_takes": "The worst takes, animated (what happened, and when, written as it "
                   "happens)",
    "hazards": "Each hazard's margin over the takes (failure at or below zero)",
    "clearance": "Closest approach to walls and people along the line",
    "speed_and_grip": "Speed and grip used along the line",
    "risk_matrix": "Risk matrix: likelihood per take × severity",
    "sight_lines": "What the driver could see of the person stepping out",
    "detection_timeline": "From stepping out to being seen, detected and braked for",
    "field_of_view": "How much of the driver's view the car and the camera rig hide",
    "track": "The track, its structures and where takes went wrong",
    "performers": "The performers' margins",
    "comparison": "Mitigations compared on the same takes",
    "envelope": "The envelope of the planned parameter",
    "envelope_2d": "The envelope over two parameters",
    "sensitivity": "What drives the risk (Sobol indices)",
    "failure_anatomy": "What the failing takes have in common: the three inputs whose "
                       "distribution differs most, failing takes (red) against all (grey)",
}

#: The largest animation (GIF) the page embeds [bytes]; base64 adds a third. A larger one
#: stays beside the report, named.
EMBED_LIMIT = 3_000_000

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("stuntsim.report", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.ChainableUndefined,  # entries differ by hazard: a missing fact is blank
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["p"] = lambda value: fmt.probability(value) if value is not None else "—"
_ENV.filters["ci"] = lambda pair: fmt.interval(*pair) if pair else "—"


def render_report(info: dict[str, Any], figures: dict[str, bytes], *,
                  scenario_text: str = "", command: str = "",
                  studies: dict[str, dict] | None = None,
                  files_only: list[str] | None = None) -> str:
    """The report page as text.

    Parameters
    ----------
    info : the run's summary (``summary.json``)
    figures : name → PNG bytes, or (``"png"`` | ``"svg"`` | ``"gif"``, bytes) (names as
              the files, without the extension; a GIF over :data:`EMBED_LIMIT` is named,
              not embedded)
    scenario_text : the scenario file (its comments give the sources)
    command : the command that made the run
    studies : ``comparison`` / ``envelope`` / ``sensitivity`` → their JSON, when run
    files_only : figures that exist only as files a page cannot embed (PDF), named
    """
    studies = studies or {}
    figures = {name: value if isinstance(value, tuple) else ("png", value)
               for name, value in figures.items()}
    too_large = [f"{name}.gif" for name, (kind, data) in figures.items()
                 if kind == "gif" and len(data) > EMBED_LIMIT]  # an animation, beside it
    figures = {name: value for name, value in figures.items()
               if f"{name}.gif" not in too_large}
    hazards = _hazard_rows(info)
    shown = [name for name in FIGURE_TITLES if name in figures]
    shown += sorted(name for name in figures if name not in FIGURE_TITLES)
    context = {
        "info": info,
        "verdict": _verdict(info, hazards),
        "hazards": hazards,
        "matrix": info.get("risk_matrix", {}),
        "harm": _harm_rows(info),
        "figures": [{"name": name, "title": FIGURE_TITLES.get(name, name.replace("_", " ")),
                     "src": _data_uri(*figures[name])}
                    for name in shown if name not in ("comparison", "envelope",
                                                      "envelope_2d", "sensitivity",
                                                      "failure_anatomy")],
        "study_figures": {name: _data_uri(*figures[name])
                          for name in ("comparison", "envelope", "envelope_2d", "sensitivity",
                                       "failure_anatomy")
                          if name in figures},
        "anatomy": html_anatomy(info),
        "comparison": studies.get("comparison"),
        "envelope": (studies.get("envelope") or {}).get("envelope"),
        "sensitivity": studies.get("sensitivity"),
        "values": _values(scenario_text),
        "completion": info.get("completion") or {},
        "warnings": info.get("warnings", []),
        "command": command,
        "files_only": files_only or [],
        "too_large": too_large,
    }
    return _ENV.get_template("report.html.j2").render(**context)


def report_from_directory(directory: Path) -> str:
    """The report of a finished output folder (``stuntsim report DIR``)."""
    directory = Path(directory)
    info = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    figures: dict[str, tuple[str, bytes]] = {}
    for kind in ("png", "svg"):  # the figures as the run wrote them (svg preferred)
        for path in sorted(directory.glob(f"*.{kind}")):
            figures[path.stem] = (kind, path.read_bytes())
    animation = directory / "worst_takes.gif"  # the run's animation (stuntsim animate's
    if animation.is_file():                     # files are the user's own)
        figures[animation.stem] = ("gif", animation.read_bytes())
    studies = {}
    for stem in ("comparison", "envelope", "sensitivity"):
        path = directory / f"{stem}.json"
        if path.is_file():
            studies[stem] = json.loads(path.read_text(encoding="utf-8"))
    scenario = directory / "scenario.yaml"
    files_only = sorted(path.name for path in directory.glob("*.pdf")
                        if path.stem not in figures and path.name != "report.pdf")
    return render_report(info, figures,
                         scenario_text=scenario.read_text(encoding="utf-8")
                         if scenario.is_file() else "",
                         command=info.get("command", ""), studies=studies,
                         files_only=files_only)


# ------------------------------------------------------------------------- pieces


def _data_uri(kind: str, data: bytes) -> str:
    mime = {"png": "image/png", "svg": "image/svg+xml", "gif": "image/gif"}[kind]
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _hazard_rows(info: dict) -> list[dict]:
    rows = []
    cells = info.get("risk_matrix", {}).get("hazards", {})
    for name, entry in info.get("hazards", {}).items():
        if not isinstance(entry, dict) or "probability" not in entry:
            continue
        rows.append({
            "name": name,
            "description": entry.get("description", ""),
            "probability": entry.get("probability"),
            "ci95": entry.get("ci95"),
            "failures": entry.get("failures"),
            "n": entry.get("n"),
            "converged": entry.get("converged", True),
            "facts": _facts(entry),
            "band": cells.get(name, {}).get("band", ""),
        })
    return rows


def _facts(entry: dict) -> list[str]:
    """What was hit and how fast, in words, from a hazard's summary entry."""
    out = []
    for key in ("objects_hit", "people_hit", "drops", "performers", "structures"):
        value = entry.get(key)
        if isinstance(value, dict) and value:
            out.append(", ".join(f"{k}: {v}" for k, v in list(value.items())[:4]))
    for key, label in (("impact_speed_kmh", "impact speed"), ("speed_kmh", "speed")):
        spread = entry.get(key)
        if isinstance(spread, dict) and spread.get("median") is not None:
            out.append(f"{label} median {spread['median']:.0f} km/h"
                       + (f", 95 % ≤ {spread['q0.95']:.0f}" if spread.get("q0.95") else ""))
    return out


def _harm_rows(info: dict) -> list[dict]:
    rows = []
    for name, entry in info.get("hazards", {}).items():
        harm = entry.get("harm") if isinstance(entry, dict) else None
        if not harm:
            continue
        for outcome in ("fatality", "serious_injury"):
            part = harm.get(outcome)
            if isinstance(part, dict) and part.get("expected_per_take") is not None:
                rows.append({"hazard": name, "who": harm.get("who", ""),
                             "outcome": outcome.replace("_", " "),
                             "per_take": part["expected_per_take"], "ci95": part.get("ci95"),
                             "relation": part.get("relation", "")})
    return rows


def _verdict(info: dict, hazards: list[dict]) -> str:
    """One paragraph: how often any hazard happens, the worst hazard, over the takes."""
    any_hazard = info.get("any_hazard") or {}
    if not hazards or any_hazard.get("probability") is None:
        return ""
    ranked = sorted((row for row in hazards if row["probability"] is not None),
                    key=lambda row: -row["probability"])
    worst = ranked[0]
    bands = {row["name"]: row["band"] for row in hazards if row["band"]}
    text = (f"In {info.get('samples', any_hazard.get('n')):,} simulated takes, at least one "
            f"hazard happened in {fmt.probability(any_hazard['probability'])} of a take "
            f"(95 % interval {fmt.interval(*any_hazard['ci95'])}). The most likely hazard is "
            f"{worst['name'].replace('_', ' ')}, {fmt.probability(worst['probability'])} "
            f"per take.")
    over = any_hazard.get("over_takes")
    if isinstance(over, dict) and over.get("probability") is not None:
        text += (f" Over the {over['takes']} planned takes the chance that at least one "
                 f"goes wrong is {fmt.probability(over['probability'])} "
                 f"(95 % interval {fmt.interval(*over['ci95'])}).")
    high = [name.replace("_", " ") for name, band in bands.items()
            if band in ("high", "very high")]
    if high:
        text += (f" Rated high or very high on the risk matrix: {', '.join(high)}: "
                 f"mitigate before shooting.")
    elif bands:
        text += " No hazard rates high on the risk matrix."
    return text


def _values(text: str) -> list[dict]:
    """The scenario's values with their sources, uncertain specs grouped per input."""
    rows: list[dict] = []
    grouped: dict[str, dict] = {}
    for value in file_values(text):
        if value.path.startswith("uncertain."):
            key = value.path.rsplit(".", 1)[0]
            row = grouped.get(key)
            if row is None:
                row = {"path": key, "value": "", "comment": value.comment,
                       "status": value.status}
                grouped[key] = row
                rows.append(row)
            row["value"] = (f"{row['value']}, " if row["value"] else "") + \
                f"{value.path.rsplit('.', 1)[1]}: {value.value}"
            continue
        rows.append({"path": value.path, "value": value.value, "comment": value.comment,
                     "status": value.status})
    return rows

