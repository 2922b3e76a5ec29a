"""Reference limit states with known failure probabilities, for checking estimators.

u1, u2 independent standard normal; failure where g(u) ≤ 0.

* linear: g = β − (u1 + u2)/√2, exact p = Φ(−β) (the sum of two independent standard
  normals over √2 is standard normal);
* four-branch series system (Au & Beck 2001, Probabilistic Engineering Mechanics 16(4),
  §6; Waarts 2000): g = min{3 + 0.1(u1 − u2)² ∓ (u1 + u2)/√2, ±(u1 − u2) + k/√2},
  p ≈ 4.457e-3 for k = 6 and 2.223e-3 for k = 7 (values from the literature).

Margins of the kind a stunt model gives, where subset simulation can go wrong (Breitung
2019 shows such cases); each p is exact (closed form through Φ, scipy.special.ndtr):

* plateau: a person who is never approached. g = c for u1 ≤ a (the same clearance for
  most inputs), falling linearly from c at u1 = a to 0 at u1 = β: p = Φ(−β);
* two regions: a series system of two branches with unequal probabilities and unequal
  margin scales, g = min{β1 − u1, s (β2 − u2)}. With s < 1 the rarer branch reaches small
  margins first and draws the levels to itself; p = Φ(−β1) + Φ(−β2) − Φ(−β1) Φ(−β2);
* switch: a car that stops at first contact. For u2 > h the person is struck, g = h − u2
  ≤ 0 (the margin jumps there from ≥ 1 or from the dead end to ≤ 0); otherwise, for
  u1 ≤ a the car passes, g = 1 + a − u1 ≥ 1, and for u1 > a it hits a wall first and
  stops, its clearance frozen at g = f + (1 − f) e^{a − u1} ∈ (f, 1): a dead end with a
  floor f > 0 that draws the levels and never fails. p = Φ(−h).

Breitung, K. (2019). The geometry of limit state function graphs and subset simulation:
counterexamples. Reliability Engineering & System Safety 182:98–106.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

__all__ = ["REFERENCE_PROBLEMS", "ROBUSTNESS_PROBLEMS", "four_branch", "linear", "plateau",
           "switch", "two_regions"]


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


def plateau(c: float, a: float, beta: float):
    """g = c·min(1, (β − u1)/(β − a)): a plateau at c for u1 ≤ a; p = Φ(−β)."""

    def g(u: np.ndarray) -> np.ndarray:
        return c * np.minimum(1.0, (beta - u[:, 0]) / (beta - a))

    return g


def two_regions(beta1: float, beta2: float, scale: float):
    """g = min(β1 − u1, s (β2 − u2)); p = Φ(−β1) + Φ(−β2) − Φ(−β1)Φ(−β2)."""

    def g(u: np.ndarray) -> np.ndarray:
        return np.minimum(beta1 - u[:, 0], scale * (beta2 - u[:, 1]))

    return g


def two_regions_probability(beta1: float, beta2: float) -> float:
    p1, p2 = float(sc.ndtr(-beta1)), float(sc.ndtr(-beta2))
    return p1 + p2 - p1 * p2


def switch(a: float, h: float, floor: float):
    """Struck (g = h − u2 ≤ 0) for u2 > h; else 1 + a − u1 for u1 ≤ a, and a dead end
    f + (1 − f) e^{a − u1} ∈ (f, 1) for u1 > a; p = Φ(−h)."""

    def g(u: np.ndarray) -> np.ndarray:
        u1, u2 = u[:, 0], u[:, 1]
        passes = 1.0 + a - u1
        dead_end = floor + (1.0 - floor) * np.exp(np.minimum(a - u1, 0.0))
        return np.where(u2 > h, h - u2, np.where(u1 <= a, passes, dead_end))

    return g


#: name -> (limit state, exact or published failure probability)
REFERENCE_PROBLEMS = {
    "linear-1e-4": (linear(3.719), float(sc.ndtr(-3.719))),
    "linear-1e-6": (linear(4.753), float(sc.ndtr(-4.753))),
    "four-branch-k6": (four_branch(6.0), 4.457e-3),
    "four-branch-k7": (four_branch(7.0), 2.223e-3),
}

#: The margins of the module docstring's second list: name -> (limit state, exact p).
ROBUSTNESS_PROBLEMS = {
    # 96 % of the inputs on the plateau; level 0 (500 points at N = 1000) has ≈ 20 below
    "plateau-1e-5": (plateau(1.5, 1.75, 4.265), float(sc.ndtr(-4.265))),
    # 99.87 % on the plateau: level 0 has ≈ 0.7 points below it, too few to go on
    "plateau-deep": (plateau(1.5, 3.0, 4.265), float(sc.ndtr(-4.265))),
    "two-regions": (two_regions(3.7, 5.0, 0.25), two_regions_probability(3.7, 5.0)),
    "switch": (switch(1.5, 3.9, 0.3), float(sc.ndtr(-3.9))),
}
