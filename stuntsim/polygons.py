"""Simple polygons: where a closed outline crosses, touches or folds back on itself.

Shared by the scenario schema (a bad outline is refused at validation, naming its points)
and the geometry engine (which accepts only simple polygons: a self-intersecting outline
has no well-defined inside, so distances and "inside a building" would be wrong).
"""

from __future__ import annotations

import numpy as np

__all__ = ["self_intersection"]


def self_intersection(points: list[tuple[float, float]]) -> str | None:
    """Where a closed outline crosses, touches or folds back on itself, or None.

    Every pair of edges is tested with the orientation (cross-product) predicates of
    computational geometry (de Berg et al., *Computational Geometry*, 3rd ed., §2.1),
    batched in numpy; collinear cases count as touching within a tolerance of 10⁻⁹ of
    the outline's size. Hand-written rather than from shapely: it is this one predicate,
    and it would be the only use of GEOS in the project.
    """
    p = np.asarray(points, dtype=float)
    n = len(p)
    q = np.roll(p, -1, axis=0)  # edge k runs from p[k] to q[k] = p[k + 1]
    scale = float(np.ptp(p, axis=0).max()) or 1.0
    tol = 1e-9 * scale
    lengths = np.hypot(*(q - p).T)
    if (lengths <= tol).any():
        k = int(np.argmax(lengths <= tol))
        return f"point {k} is repeated as point {(k + 1) % n} ({_xy(p[k])})"

    def orient(a, b, c):  # twice the signed area of triangle abc, over |ab|
        cross = (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (
            b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])
        return cross / np.hypot(b[..., 0] - a[..., 0], b[..., 1] - a[..., 1])

    # adjacent edges k, k+1 folding back onto each other (a spike of zero width)
    d = q - p
    d_next = np.roll(d, -1, axis=0)
    fold = (np.abs(orient(p, q, np.roll(q, -1, axis=0))) <= tol) & (
        (d * d_next).sum(axis=1) < 0)
    if fold.any():
        k = int(np.argmax(fold))
        return f"it folds back on itself at point {(k + 1) % n} ({_xy(q[k])})"
    i, j = np.triu_indices(n, k=2)
    keep = ~((i == 0) & (j == n - 1))  # the first and the last edge are neighbours
    i, j = i[keep], j[keep]
    a, b, c, e = p[i], q[i], p[j], q[j]
    o1, o2, o3, o4 = orient(a, b, c), orient(a, b, e), orient(c, e, a), orient(c, e, b)
    crossing = (o1 * o2 < 0) & (o3 * o4 < 0) & (np.abs(o1) > tol) & (np.abs(o2) > tol) & (
        np.abs(o3) > tol) & (np.abs(o4) > tol)

    def on(s0, s1, r, o):  # r within tol of segment s0–s1, given its distance o to the line
        along = ((r - s0) * (s1 - s0)).sum(axis=1) / ((s1 - s0) ** 2).sum(axis=1)
        return (np.abs(o) <= tol) & (along >= -1e-12) & (along <= 1 + 1e-12)

    touching = on(a, b, c, o1) | on(a, b, e, o2) | on(c, e, a, o3) | on(c, e, b, o4)
    bad = crossing | touching
    if not bad.any():
        return None
    k = int(np.argmax(bad))
    first, second = int(i[k]), int(j[k])
    how = "cross" if crossing[k] else "touch"
    return (f"the edge from point {first} ({_xy(p[first])}) to point {(first + 1) % n} and "
            f"the edge from point {second} ({_xy(p[second])}) to point {(second + 1) % n} "
            f"{how}")


def _xy(point) -> str:
    return f"[{point[0]:.6g}, {point[1]:.6g}]"
