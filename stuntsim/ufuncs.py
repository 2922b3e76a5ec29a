"""numpy's ``clip`` ufunc, called directly, for the time-step loops.

``np.clip(a, lo, hi, out=...)`` reaches the ufunc ``clip`` through three Python functions
(``fromnumeric.clip``, ``_wrapfunc``, ``_methods._clip``): about 1.7 µs a call against
0.6 µs for the ufunc itself on 16 floats (numpy 2.4, this project's 2-core machine), and a
car's time step calls it about forty times, whatever the batch size. For an array and two
bounds within its dtype's range, ``np.clip`` calls exactly this ufunc with the same
arguments (numpy's ``_core/_methods.py``), so the results are bit for bit the same.

numpy does not export the ufunc under a public name (numpy ≥ 2: ``numpy._core.umath``;
1.26: ``numpy.core.umath``); where neither holds one, :func:`numpy.clip` itself is used.
Use it only with both bounds given (the ufunc has no ``None`` bound).
"""

from __future__ import annotations

import importlib

import numpy as np

__all__ = ["clip"]


def _clip_ufunc():
    for module in ("numpy._core.umath", "numpy.core.umath"):
        try:
            candidate = getattr(importlib.import_module(module), "clip", None)
        except ImportError:
            continue
        if isinstance(candidate, np.ufunc):
            return candidate
    return np.clip


#: ``clip(a, lo, hi[, out=])``: min(max(a, lo), hi), element by element.
clip = _clip_ufunc()
