"""How numbers are written for people: probabilities with significant figures.

A probability of 3e-5 printed with four decimals reads ``0.0000``, which a reader takes for
zero. Every probability, bound and difference in tables, figures and notebooks goes through
:func:`probability`, :func:`interval` or :func:`difference`: three significant figures from
1e-3 up (``0.0912``), two in scientific notation below (``3.0e-05``), an exact 0 or 1 as is.
"""

from __future__ import annotations

import math
import textwrap

__all__ = ["SCIENTIFIC_BELOW", "difference", "interval", "probability", "wrap_label"]

#: Below this magnitude a probability is written in scientific notation.
SCIENTIFIC_BELOW = 1e-3


def probability(p: float) -> str:
    """``0.0912``, ``0.100``, ``3.0e-05``, ``0``, ``1``; ``n/a`` for None or NaN."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    p = float(p)
    if p == 0.0 or p == 1.0:
        return f"{p:.0f}"
    if abs(p) < SCIENTIFIC_BELOW:
        return f"{p:.1e}"
    return f"{p:#.3g}"


def interval(lo: float, hi: float) -> str:
    """``[6.2e-06, 8.8e-05]``: a 95 % interval with :func:`probability`'s figures."""
    return f"[{probability(lo)}, {probability(hi)}]"


def difference(d: float) -> str:
    """A signed difference of probabilities: ``+0.0505``, ``-3.1e-04``, ``0``."""
    if d == 0.0:
        return "0"
    text = probability(abs(d))
    return ("+" if d > 0 else "-") + text


def wrap_label(label: str, width: int = 40) -> str:
    """A long label folded into lines of ``width`` characters (continuations indented)."""
    return textwrap.fill(label, width, subsequent_indent="  ")
