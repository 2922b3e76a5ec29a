"""Reference limit states with known failure probabilities, for checking estimators.

u1, u2 independent standard normal; failure where g(u) ≤ 0.

* linear: g = β − (u1 + u2)/√2, exact p = Φ(−β) (the sum of two independent standard
  normals over √2 is standard normal);
* four-branch series system (Au & Beck 2001, Probabilistic Engineering Mechanics 16(4),
  §6; Waarts 2000): g = min{3 + 0.1(u1 − u2)² ∓ (u1 + u2)/√2, ±(u1 − u2) + k/√2},
  p ≈ 4.457e-3 for k = 6 and 2.223e-3 for k = 7 (values from the literature).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

__all__ = ["REFERENCE_PROBLEMS", "four_branch", "linear"]


def linear(beta: float):
    """g(u) = β − (u1 + u2)/√2 on (n, 2) standard-normal points; p = Φ(−β)."""

    def g(u: np.ndarray) -> np.ndarray:
        return beta - (u[:, 0] + u[:, 1]) / math.sqrt(2.0)

    return g


def four_branch(k: float):
    """The four-branch series system of Au & Beck (2001) / Waarts (2000)."""

    def g(u: np.ndarray) -> np.ndarray:
        u1, u2 = u[:, 0], u[:, 1]
        return np.minimum.reduce(
            [
                3.0 + 0.1 * (u1 - u2) ** 2 - (u1 + u2) / math.sqrt(2.0),
                3.0 + 0.1 * (u1 - u2) ** 2 + (u1 + u2) / math.sqrt(2.0),
                (u1 - u2) + k / math.sqrt(2.0),
                (u2 - u1) + k / math.sqrt(2.0),
            ]
        )

    return g


#: name -> (limit state, exact or published failure probability)
REFERENCE_PROBLEMS = {
    "linear-1e-4": (linear(3.719), float(sc.ndtr(-3.719))),
    "linear-1e-6": (linear(4.753), float(sc.ndtr(-4.753))),
    "four-branch-k6": (four_branch(6.0), 4.457e-3),
    "four-branch-k7": (four_branch(7.0), 2.223e-3),
}
