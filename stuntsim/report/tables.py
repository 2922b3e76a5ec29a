"""The terminal table of a run of any kind: each hazard's probability with its interval and
worst margin, the kind's notes, and the risk matrix with where each cell comes from."""

from __future__ import annotations

import textwrap
from typing import Any

from stuntsim import formatting as fmt
from stuntsim.kinds import kind_of
from stuntsim.report.anatomy import anatomy_lines
from stuntsim.report.summary import summary
from stuntsim.severity import describe_cell

__all__ = ["format_matrix", "format_table"]


def format_table(result, info: dict[str, Any] | None = None) -> str:
    """A plain-text summary table for the terminal (``info``: a summary already built)."""
    kind = kind_of(result.resolved)
    info = summary(result) if info is None else info
    sub_rows = {name: kind.sub_rows(result, info, name) for name in info["hazards"]}
    labels = [name for name in info["hazards"]]
    labels += [label for rows in sub_rows.values() for label, _ in rows]
    w = max(18, *(len(label) for label in labels))  # hazard column
    rule = "-" * (w + 72)
    completion = info.get("completion")
    lines = [
        f"{info['scenario']}",
        f"{result.samples} {kind.take}, seed {result.seed}, method {result.method}, "
        f"{result.runtime:.1f} s"
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
        lines.append(_probability_row(name, entry, w))
        lines += [_probability_row(label, row, w) for label, row in sub_rows[name]]
    lines.append(rule)
    lines.append(_probability_row("any hazard", info["any_hazard"], w))
    lines += kind.table_notes(result, info)
    lines.append("")
    lines += format_matrix(info)
    lines += kind.closing_lines(result, info)
    lines += anatomy_lines(info)
    return "\n".join(lines)


def _probability_row(name: str, entry: dict[str, Any], w: int) -> str:
    """One row of the hazard table: probability, interval, failures/n, worst margin."""
    lo, hi = entry["ci95"]
    worst_text = ""
    if "worst_margin" in entry:
        worst = entry["worst_margin"]
        worst_text = "n/a" if worst is None else f"{worst:.3g} {entry['margin_unit']}"
    return (f"{name:<{w}} {fmt.probability(entry['probability']):>11}  "
            f"{fmt.interval(lo, hi):<22} {entry['failures']:>7}/{entry['n']:<7}  "
            f"{worst_text:>14}").rstrip()


def format_matrix(info: dict[str, Any]) -> list[str]:
    """The risk-matrix rows with the basis of each cell, and the harm per take."""
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
    return textwrap.wrap(text, width) or [""]
