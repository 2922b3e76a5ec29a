"""Street geometry: solids, people and surfaces, and clearance queries for car footprints.

A street is a set of solid polygons (building faces, rock faces, parked cars, kerbs), a few
people (upright circles), friction patches, **drops** (areas where the ground ends: the
void beyond a road edge, with the height of the fall) and **barriers** (a parapet or guard
rail with a containment limit), all in one world frame (x, y) in metres.
The hot path of a Monte Carlo run asks, every time step and for n samples at once, how far
each car's rectangular footprint is from the solids. :class:`DistanceField` answers that
in O(n) without looping over wall segments:

* a **signed distance grid** to the union of the solids (negative inside), exact at the
  grid nodes, together with the index of the nearest wall segment at every node. A query
  at a point interpolates the grid only for the sign and for far-away points; near the
  walls it re-evaluates the exact point–segment distance to the nearest segments of the
  four surrounding nodes, so it carries no interpolation error;
* the solids' **convex vertices** with a **broad phase** (a ~1 m cell grid listing, per
  cell, the vertices that can be within reach of a car standing in it), checked exactly
  against the rectangle.

Why corners plus convex vertices are exact
------------------------------------------
The distance between the car's rectangle R and a polygonal solid P is attained by a pair
(point of R, point of P) where at least one of the two is a vertex. If it is a vertex of
R (a footprint corner), the distance field at that corner is the answer. Otherwise it is a
vertex v of P against the interior of an edge of R; v is then a *convex* vertex of P (at a
reflex vertex one of the two adjacent edges is closer still), and the exact point–box
distance of v is the answer. Taking the minimum of both families is therefore the exact
rectangle–solid distance whenever they are separated, with no need for edge midpoints.
Overlapping solids are fine: outside their union the distance to all edges equals the
distance to the union.

Approximations
--------------
* Penetration depth (negative clearance) is the depth of the deepest footprint corner or
  solid vertex, not the full polygon overlap depth.
* A footprint that *straddles* a thin part of a solid (a building corner or a thin wall
  passing right through the car, with neither a car corner inside the solid nor a solid
  vertex inside the car) is not seen as overlapping; in a simulation that moves the car
  less than its width per step the contact is caught on the way in.
* Inside two overlapping solids the depth is measured to the nearer of the two
  boundaries (a lower bound on the depth inside the union).
* Farther than ``exact_band`` (1.25 m) from every solid the field is bilinearly
  interpolated from 0.5 m nodes (errors up to ~0.4 m measured at 2–5 m), but a footprint
  truly farther than ``exact_band`` is never reported nearer than that.
* Outside the grid bounds queries return :data:`FAR_DISTANCE`.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.path import Path

from stuntsim.geometry.clearance import FootprintClearance, box_normal, box_signed_distance
from stuntsim.geometry.shapes import Solid
from stuntsim.ufuncs import clip

FAR_DISTANCE = 1.0e6
"""Distance [m] returned for query points outside a :class:`DistanceField`'s bounds."""


_BLOCK_TARGET = 0.5  # [m] side of a build block (coarse node spacing) of the field


_DUMMY_FAR = 1.0e9  # [m] coordinate of the padding segment / vertex (never the nearest)


# --------------------------------------------------------------------------------------
# Distance fields shared by content
# --------------------------------------------------------------------------------------
#: How many built fields a process keeps for reuse (each 5–20 MB for a street of 60 m).
SHARED_FIELDS = 8

_shared: OrderedDict[tuple, DistanceField] = OrderedDict()
_shared_lock = threading.Lock()


def shared_field(solids: Iterable[Solid], **options) -> DistanceField:
    """A :class:`DistanceField` of ``solids``, reused when this process built one of the
    same solids (names, categories, vertices to the bit) and options before.

    A field never changes once built, so runs of one street (a compare's variants, an
    envelope's speeds, a notebook's runs) share it instead of rebuilding it: 0.1 s for
    Rome, 0.6 s for the cliff each time. The last :data:`SHARED_FIELDS` are kept.
    """
    solids = tuple(solids)
    key = (tuple((s.name, s.category, s.polygon.shape, s.polygon.tobytes()) for s in solids),
           tuple(sorted((name, repr(value)) for name, value in options.items())))
    with _shared_lock:
        field = _shared.get(key)
        if field is not None:
            _shared.move_to_end(key)
            return field
    field = DistanceField(solids, **options)
    with _shared_lock:
        _shared[key] = field
        while len(_shared) > SHARED_FIELDS:
            _shared.popitem(last=False)
    return field


# --------------------------------------------------------------------------------------
# Distance field
# --------------------------------------------------------------------------------------
class DistanceField:
    """Signed distance to a set of solids on a grid, with exact near-wall queries.

    Parameters
    ----------
    solids : iterable of Solid
    bounds : (xmin, xmax, ymin, ymax), optional   Area covered [m]; default: bounding box
                of the solids enlarged by ``margin``. Queries outside return
                :data:`FAR_DISTANCE` (a car that left the grid is treated as far from
                everything: choose bounds that contain everywhere the car can go).
    resolution : float   Grid spacing h [m]. Near-wall accuracy does not depend on it (the
                exact segment distance is re-evaluated); it sets the build time and memory
                (9 M nodes, ≈ 72 MB, for 60 m × 60 m at 2 cm; a 5–10 cm grid gives the
                same near-wall answers, see the tests).
    margin : float       [m] see ``bounds``.
    exact_band : float   [m] Distances with |d| ≤ exact_band are exact; farther out the
                grid is interpolated from 0.5 m nodes (values never below exact_band).
                Must exceed the 1 m accuracy requirement.
    broad_cell : float   Cell size of the convex-vertex broad phase [m].

    Query
    -----
    Each grid cell carries a code: 2·segment + inside when its four nodes share their
    nearest segment and side (almost every cell within ``exact_band``), else -1. A point in
    a coded cell costs one gather and one exact point–segment distance; other points
    (medial axes, the boundary itself, far from the walls, outside the bounds) take a
    slower path that interpolates the node values for the sign and re-evaluates the
    exact distance to the nearest segments of the four surrounding nodes. Computation is
    float32 in coordinates relative to the grid origin (~1e-5 m rounding at 100 m).

    Build
    -----
    1. Exact distances (brute force over all segments) at coarse nodes every ~0.5 m.
    2. Blocks of the fine grid between coarse nodes whose corners are all farther than
       exact_band + block diagonal from every edge (Lipschitz bound) are filled by
       bilinear interpolation of the coarse nodes.
    3. The remaining blocks (a band around the walls) get exact distances, computed only
       against their candidate segments (those within d(corner) + 2·diagonal of every
       block corner, which must contain the nearest one), and the sign from a
       point-in-polygon test.
    """

    def __init__(
        self,
        solids: Iterable[Solid],
        *,
        bounds=None,
        resolution: float = 0.02,
        margin: float = 5.0,
        exact_band: float = 1.25,
        broad_cell: float = 1.0,
    ):
        self.solids = tuple(solids)
        if not resolution > 0 or not exact_band > 0 or not broad_cell > 0 or not margin >= 0:
            raise ValueError("resolution, exact_band and broad_cell must be > 0, margin >= 0")
        self.resolution = float(resolution)
        self.exact_band = float(exact_band)
        self.broad_cell = float(broad_cell)
        if bounds is None:
            if self.solids:
                every = np.vstack([solid.polygon for solid in self.solids])
                lo, hi = every.min(axis=0) - margin, every.max(axis=0) + margin
            else:
                lo, hi = np.array([-margin, -margin]), np.array([margin, margin])
            bounds = (lo[0], hi[0], lo[1], hi[1])
        xmin, xmax, ymin, ymax = (float(b) for b in bounds)
        if not (xmax > xmin and ymax > ymin):
            raise ValueError(f"bounds must be (xmin, xmax, ymin, ymax) with max > min: {bounds}")
        self.bounds = (xmin, xmax, ymin, ymax)
        self._segments = _Segments(self.solids)
        self._vertices = _convex_vertices(self.solids)
        self._vertex_tables: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        self._build_grid()
        # float32 copies relative to the grid origin for the hot path
        segs = self._segments
        self._seg32 = {
            "ax": (segs.ax_padded - self._x0).astype(np.float32),
            "ay": (segs.ay_padded - self._y0).astype(np.float32),
            "ex": segs.ex_padded.astype(np.float32),
            "ey": segs.ey_padded.astype(np.float32),
            "inv_len2": segs.inv_len2_padded.astype(np.float32),
            "nx": np.append(segs.nx, 1.0).astype(np.float32),
            "ny": np.append(segs.ny, 0.0).astype(np.float32),
        }
        self._vx32 = (self._vertices.x - self._x0).astype(np.float32)
        self._vy32 = (self._vertices.y - self._y0).astype(np.float32)

    # ---- public queries -----------------------------------------------------------
    def point_distance(self, px, py):
        """Signed distance [m] from points to the solids (negative inside).

        Exact (to float32 rounding, ~1e-5 m) within ``exact_band`` of a wall, interpolated
        beyond, :data:`FAR_DISTANCE` outside the bounds.

        Returns
        -------
        distance : ndarray (n,)       [m]
        solid_index : ndarray (n,)    Nearest solid (-1 outside the bounds / no solids).
        """
        px, py = np.broadcast_arrays(
            np.atleast_1d(np.asarray(px, dtype=float)), np.atleast_1d(np.asarray(py, dtype=float))
        )
        rx = (px.ravel() - self._x0).astype(np.float32)
        ry = (py.ravel() - self._y0).astype(np.float32)
        distance, segment = self._query(rx, ry)
        solid = self._segments.solid_padded[segment]
        return distance.astype(float).reshape(px.shape), solid.reshape(px.shape)

    def footprint_clearance(self, x, y, yaw, front, rear, half_width, *,
                            vertex_reach: float | None = None,
                            cos_sin=None) -> FootprintClearance:
        """Signed clearance between car footprints (rectangles) and the solids.

        The footprint spans −rear … +front along the heading ψ and ±half_width across it.
        clearance = min( field at the 4 corners , box distance of every convex solid vertex
        within reach ) — the exact rectangle–union distance whenever the footprint is
        within ``exact_band`` of a solid without touching it (see the module docstring).
        Negative values are the depth of the deepest corner or solid vertex.

        Parameters
        ----------
        x, y, yaw, front, rear, half_width : array_like, (n,) or scalar
            As in :func:`footprint_corners` [m, rad].
        vertex_reach : float
            The largest distance from the reference point to a footprint corner [m] that
            the broad phase of solid vertices allows for (default: the largest among
            these footprints). Each sample's result depends only on its own inputs and
            this number, so a query of some samples with the reach of all of them gives
            bit for bit the answers of the whole query.
        cos_sin : (cos ψ, sin ψ), optional
            Already computed for ``yaw`` (the same values, so the same answer; np.cos and
            np.sin are the slowest numpy calls of a step).

        Returns
        -------
        FootprintClearance   float64 arrays; solid_index −1 (and an arbitrary normal) where
                             the footprint is outside the bounds or there are no solids;
                             NaN positions give NaN clearance.
        """
        arrays = np.broadcast_arrays(
            *(
                np.atleast_1d(np.asarray(a, dtype=float))
                for a in (x, y, yaw, front, rear, half_width)
            )
        )
        # float32 in coordinates relative to the grid origin: ~1e-5 m rounding at 100 m
        rx = (arrays[0] - self._x0).astype(np.float32)
        ry = (arrays[1] - self._y0).astype(np.float32)
        if cos_sin is None:
            cos_sin = np.cos(arrays[2]), np.sin(arrays[2])
        c, s = (np.broadcast_to(v, arrays[2].shape).astype(np.float32) for v in cos_sin)
        front, rear, half_width = (a.astype(np.float32) for a in arrays[3:])

        # (a) the four corners against the field
        local = ((front, -half_width), (front, half_width), (-rear, half_width))
        local += ((-rear, -half_width),)
        # one query for all four corners (fewer, larger numpy calls)
        n = rx.shape[0]
        all_x = np.concatenate([rx + c * along - s * across for along, across in local])
        all_y = np.concatenate([ry + s * along + c * across for along, across in local])
        all_d, all_seg = self._query(all_x, all_y)
        clearance, seg = all_d[:n].copy(), all_seg[:n].copy()
        contact_x, contact_y = all_x[:n].copy(), all_y[:n].copy()
        for k in range(1, 4):
            part = slice(k * n, (k + 1) * n)
            d = all_d[part]
            # select arithmetically: np.where and argmin are slow on random masks
            closer = d < clearance
            clearance = np.minimum(clearance, d)
            seg += (all_seg[part] - seg) * closer
            contact_x += (all_x[part] - contact_x) * closer
            contact_y += (all_y[part] - contact_y) * closer
        # contact normal: from the nearest point of the responsible segment to the corner;
        # computed only where the footprint is within the exact band (zero elsewhere)
        segs = self._seg32
        normal_x = np.zeros(n, dtype=np.float32)
        normal_y = np.zeros(n, dtype=np.float32)
        near = np.flatnonzero(clearance <= self.exact_band)
        if near.size:
            cx, cy, sg, cl = contact_x[near], contact_y[near], seg[near], clearance[near]
            _, qx, qy = _segment_distance_sq(cx, cy, segs, sg)
            offset_x, offset_y = cx - qx, cy - qy
            length = np.sqrt(offset_x * offset_x + offset_y * offset_y)
            has_offset = length > 1e-6
            scale = (1 - 2 * (cl < 0)) * has_offset / np.maximum(length, np.float32(1e-6))
            normal_x[near] = offset_x * scale + segs["nx"][sg] * ~has_offset
            normal_y[near] = offset_y * scale + segs["ny"][sg] * ~has_offset
        solid_index = self._segments.solid_padded[seg]

        # (b) convex solid vertices against the box (exact point–box distance)
        if self._vertices.solid.size > 1:
            longest = np.maximum(front + rear, 2 * half_width)
            reach = (float(np.max(np.hypot(np.maximum(front, rear), half_width)))
                     if vertex_reach is None else float(vertex_reach))
            cell_of, table_t, counts = self._vertex_lookup(rx, ry, reach + self.exact_band)
            # a vertex within exact_band of the box is within exact_band + longest/2 of a
            # corner, so samples whose corners are all farther than that can skip it
            active = np.flatnonzero(
                (counts[cell_of] > 0) & (clearance <= self.exact_band + 0.5 * longest)
            )
            if active.size:
                self._vertex_pass(
                    active, cell_of, table_t, rx, ry, c, s, front, rear, half_width,
                    clearance, solid_index, normal_x, normal_y, contact_x, contact_y,
                )  # fmt: skip
        return FootprintClearance(
            clearance.astype(float),
            solid_index,
            normal_x.astype(float),
            normal_y.astype(float),
            contact_x.astype(float) + self._x0,
            contact_y.astype(float) + self._y0,
        )

    @property
    def extent(self) -> float:
        """The larger side of the grid [m] (float32 coordinates round to ~6e-8 of it)."""
        return self.resolution * max(self._nx, self._ny)

    @property
    def grid_x(self) -> np.ndarray:
        """Node x coordinates (nx,) [m] of :attr:`values`."""
        return self._x0 + self.resolution * np.arange(self._nx)

    @property
    def grid_y(self) -> np.ndarray:
        """Node y coordinates (ny,) [m] of :attr:`values`."""
        return self._y0 + self.resolution * np.arange(self._ny)

    @property
    def values(self) -> np.ndarray:
        """Signed distance at the nodes, (ny, nx) float32 [m] (for plots and checks)."""
        return self._values.reshape(self._ny, self._nx)

    @property
    def nearest_solid(self) -> np.ndarray:
        """Index of the nearest solid at each node, (ny, nx) (-1: no solids)."""
        return self._segments.solid_padded[self._node_segment].reshape(self._ny, self._nx)

    @property
    def convex_vertices(self) -> np.ndarray:
        """The solids' convex vertices (m, 2) [m] checked against the footprint sides."""
        return np.column_stack([self._vertices.x[:-1], self._vertices.y[:-1]])

    # ---- queries, internals ---------------------------------------------------------
    def _query(self, rx, ry):
        """Signed distance (float32) and nearest segment for points relative to the origin.

        Fast path: the point's grid cell has one nearest segment and one side at all four
        nodes (its code is 2·segment + inside), so the exact distance to that segment is
        the answer. Other cells (near a medial axis or the boundary, far from the walls,
        outside the grid) take :meth:`_query_slow`.
        """
        gx = rx * np.float32(1.0 / self.resolution) + np.float32(1.0)
        gy = ry * np.float32(1.0 / self.resolution) + np.float32(1.0)
        # fmax/fmin send NaN to the outside ring (the slow path then returns NaN)
        gx = np.fmin(np.fmax(gx, np.float32(0.0)), np.float32(self._nx + 0.5))
        gy = np.fmin(np.fmax(gy, np.float32(0.0)), np.float32(self._ny + 0.5))
        row = self._nx + 1
        code = self._codes[gy.astype(np.intp) * row + gx.astype(np.intp)]
        seg = (code >> 1).astype(np.intp)  # slow cells: -1, the far padding segment
        d2, _, _ = _segment_distance_sq(rx, ry, self._seg32, seg)
        distance = np.sqrt(d2) * (1 - 2 * (code & 1)).astype(np.float32)
        slow = np.flatnonzero(code < 0)
        if slow.size:
            distance[slow], seg[slow] = self._query_slow(rx[slow], ry[slow])
        return distance, seg

    def _query_slow(self, rx, ry):
        """Bilinear sign plus exact distance to the four surrounding nodes' segments."""
        n = rx.shape[0]
        distance = np.full(n, FAR_DISTANCE, dtype=np.float32)
        distance[np.isnan(rx) | np.isnan(ry)] = np.nan
        segment = np.full(n, -1, dtype=np.intp)
        fx, fy = rx / np.float32(self.resolution), ry / np.float32(self.resolution)
        inside = (fx >= 0) & (fx <= self._nx - 1) & (fy >= 0) & (fy <= self._ny - 1)
        idx = np.flatnonzero(inside)
        if self._segments.count == 0 or idx.size == 0:
            return distance, segment
        rx, ry, fx, fy = rx[idx], ry[idx], fx[idx], fy[idx]
        i = np.minimum(fx.astype(np.intp), self._nx - 2)
        j = np.minimum(fy.astype(np.intp), self._ny - 2)
        tx, ty = fx - i, fy - j
        k00 = j * self._nx + i
        keys = (k00, k00 + 1, k00 + self._nx, k00 + self._nx + 1)
        v = [self._values[key] for key in keys]
        interp = (1 - ty) * ((1 - tx) * v[0] + tx * v[1]) + ty * ((1 - tx) * v[2] + tx * v[3])
        distance[idx] = interp
        segment[idx] = self._node_segment[k00]
        # Exact distances only where they matter (within the band): far from the walls
        # (e.g. on a street's medial axis) the interpolated value is what is returned.
        near = np.flatnonzero(np.abs(interp) <= self.exact_band)
        if not near.size:
            return distance, segment
        rx, ry = rx[near], ry[near]
        keys = tuple(key[near] for key in keys)
        best_seg = self._node_segment[keys[0]].astype(np.intp)
        best_d2, _, _ = _segment_distance_sq(rx, ry, self._seg32, best_seg)
        for key in keys[1:]:
            other = self._node_segment[key].astype(np.intp)
            differ = np.flatnonzero(other != best_seg)
            if differ.size:
                d2, _, _ = _segment_distance_sq(rx[differ], ry[differ], self._seg32, other[differ])
                closer = d2 < best_d2[differ]
                best_d2[differ[closer]] = d2[closer]
                best_seg[differ[closer]] = other[differ[closer]]
        exact = np.sqrt(best_d2)
        distance[idx[near]] = np.where(interp[near] < 0, -exact, exact)
        segment[idx[near]] = best_seg
        return distance, segment

    def _vertex_pass(
        self, active, cell_of, table_t, rx, ry, c, s, front, rear, half_width,
        clearance, solid_index, normal_x, normal_y, contact_x, contact_y,
    ):  # fmt: skip
        """Update the results in place where a convex vertex is nearer than the corners."""
        xa, ya, ca, sa = rx[active], ry[active], c[active], s[active]
        fa, ra, wa = front[active], rear[active], half_width[active]
        u0 = xa * ca + ya * sa + 0.5 * (fa - ra)  # box centre in the rotated frame
        w0 = ya * ca - xa * sa
        half_length = 0.5 * (fa + ra)
        cells = cell_of[active]
        vx32, vy32 = self._vx32, self._vy32
        best = np.full(active.size, np.inf, dtype=np.float32)
        best_id = np.full(active.size, vx32.size - 1, dtype=np.intp)  # the far dummy
        for slot_ids in table_t:  # K slots, each one pass over the active samples
            vid = slot_ids[cells]
            vx, vy = vx32[vid], vy32[vid]
            qu = np.abs(vx * ca + vy * sa - u0) - half_length
            qw = np.abs(vy * ca - vx * sa - w0) - wa
            pu, pw = np.maximum(qu, np.float32(0.0)), np.maximum(qw, np.float32(0.0))
            d = np.sqrt(pu * pu + pw * pw) + np.minimum(np.maximum(qu, qw), np.float32(0.0))
            closer = d < best
            best = np.minimum(best, d)
            best_id += (vid - best_id) * closer
        win = np.flatnonzero(best < clearance[active])
        if not win.size:
            return
        hit, vid = active[win], best_id[win]
        vx, vy = vx32[vid], vy32[vid]
        d, u, w, qu, qw = box_signed_distance(
            vx, vy, rx[hit], ry[hit], c[hit], s[hit], front[hit], rear[hit], half_width[hit]
        )
        nx, ny = box_normal(u, w, qu, qw, c[hit], s[hit])
        clearance[hit] = d
        solid_index[hit] = self._vertices.solid[vid]
        normal_x[hit], normal_y[hit] = nx, ny
        contact_x[hit] = vx + nx * d  # the foot of the vertex on the car's side
        contact_y[hit] = vy + ny * d

    def _vertex_lookup(self, rx, ry, reach):
        """Broad phase: cell per sample, the (K, cells) vertex table and counts for ``reach``.

        The cell grid has a ring of empty cells, so clipped indices of outside (or NaN)
        positions land on a cell without vertices.
        """
        key = math.ceil(reach / 0.25) * 0.25  # few distinct tables: reach rounded up
        if key not in self._vertex_tables:
            self._vertex_tables[key] = self._build_vertex_table(key)
        table_t, counts = self._vertex_tables[key]
        inv = np.float32(1.0 / self.broad_cell)
        ci = np.fmin(np.fmax(rx * inv + 1, 0), np.float32(self._ncx + 1.5)).astype(np.intp)
        cj = np.fmin(np.fmax(ry * inv + 1, 0), np.float32(self._ncy + 1.5)).astype(np.intp)
        return cj * (self._ncx + 2) + ci, table_t, counts

    def _build_vertex_table(self, reach):
        """Per broad cell, the convex vertices within ``reach`` of the cell, padded to K."""
        cell = self.broad_cell
        vx, vy = self._vertices.x[:-1] - self._x0, self._vertices.y[:-1] - self._y0
        dummy = len(vx)
        xs = cell * np.arange(self._ncx)
        ys = cell * np.arange(self._ncy)
        # distance from each vertex to each cell rectangle [x, x+cell] × [y, y+cell]
        gap_x = np.maximum(np.maximum(xs - vx[:, None], vx[:, None] - xs - cell), 0.0)
        gap_y = np.maximum(np.maximum(ys - vy[:, None], vy[:, None] - ys - cell), 0.0)
        within = (gap_x[:, None, :] ** 2 + gap_y[:, :, None] ** 2) <= reach**2  # (v, ncy, ncx)
        within = within.reshape(len(vx), -1).T  # (cells, v)
        count = within.sum(axis=1)
        width = max(int(count.max()), 1)
        order = np.argsort(~within, axis=1, kind="stable")[:, :width]
        inner = np.where(np.take_along_axis(within, order, axis=1), order, dummy)
        table = np.full((self._ncy + 2, self._ncx + 2, width), dummy, dtype=np.intp)
        table[1:-1, 1:-1] = inner.reshape(self._ncy, self._ncx, width)
        counts = np.zeros((self._ncy + 2, self._ncx + 2), dtype=np.intp)
        counts[1:-1, 1:-1] = count.reshape(self._ncy, self._ncx)
        return np.ascontiguousarray(table.reshape(-1, width).T), counts.reshape(-1)

    # ---- build ------------------------------------------------------------------------
    def _build_grid(self):
        xmin, xmax, ymin, ymax = self.bounds
        h = self.resolution
        m = max(1, round(_BLOCK_TARGET / h))
        nbx = math.ceil((math.floor((xmax - xmin) / h + 1e-9) + 1) / m)
        nby = math.ceil((math.floor((ymax - ymin) / h + 1e-9) + 1) / m)
        self._x0, self._y0 = xmin, ymin
        self._nx, self._ny = nbx * m, nby * m
        self._ncx = max(1, math.ceil((self._nx - 1) * h / self.broad_cell))
        self._ncy = max(1, math.ceil((self._ny - 1) * h / self.broad_cell))
        segs = self._segments
        self._codes = np.full((self._ny + 1) * (self._nx + 1), -1, dtype=np.int16)
        if segs.count == 0:
            self._values = np.full(self._nx * self._ny, np.float32(FAR_DISTANCE))
            self._node_segment = np.full(self._nx * self._ny, -1, dtype=np.int16)
            return
        seg_dtype = np.int16 if segs.count < np.iinfo(np.int16).max else np.int32

        # 1. coarse nodes, exact (brute force over all segments)
        block = m * h
        diag = block * math.sqrt(2.0)
        xc = block * np.arange(nbx + 1)  # relative to (x0, y0)
        yc = block * np.arange(nby + 1)
        gx, gy = np.meshgrid(xc, yc)  # (nby+1, nbx+1)
        coarse_d, coarse_seg = segs.nearest(gx.ravel(), gy.ravel(), self._x0, self._y0)
        coarse_in = self._inside(gx.ravel() + self._x0, gy.ravel() + self._y0)
        coarse_d = coarse_d.reshape(gx.shape)
        coarse_seg = coarse_seg.reshape(gx.shape)
        coarse_sd = np.where(coarse_in.reshape(gx.shape), -coarse_d, coarse_d).astype(np.float32)

        # 2. fill every block by bilinear interpolation, magnitude at least exact_band
        t = (np.arange(m) / m).astype(np.float32)
        c00, c10 = coarse_sd[:-1, :-1], coarse_sd[:-1, 1:]
        c01, c11 = coarse_sd[1:, :-1], coarse_sd[1:, 1:]
        ty, tx = t[None, None, :, None], t[None, None, None, :]
        blocks = ((1 - ty) * ((1 - tx) * c00[..., None, None] + tx * c10[..., None, None])).astype(
            np.float32
        )
        blocks += ty * ((1 - tx) * c01[..., None, None] + tx * c11[..., None, None])
        np.copysign(np.maximum(np.abs(blocks), np.float32(self.exact_band)), blocks, out=blocks)
        corners = ((slice(None, -1), slice(None, -1)), (slice(None, -1), slice(1, None)))
        corners += ((slice(1, None), slice(None, -1)), (slice(1, None), slice(1, None)))
        corner_d = np.stack([coarse_d[c] for c in corners])  # (4, nby, nbx)
        corner_seg = np.stack([coarse_seg[c] for c in corners])
        block_seg = np.take_along_axis(corner_seg, np.argmin(corner_d, axis=0)[None], axis=0)[0]
        seg_blocks = np.broadcast_to(block_seg[..., None, None], blocks.shape).astype(seg_dtype)

        # 3. exact values in the band blocks
        band = corner_d.min(axis=0) <= self.exact_band + diag
        band_j, band_i = np.nonzero(band)
        if band_j.size:
            candidates = self._band_candidates(band_j, band_i, corner_d, xc, yc, diag)
            self._fill_band(blocks, seg_blocks, band_j, band_i, candidates, m)
        self._values = blocks.transpose(0, 2, 1, 3).reshape(-1)
        self._node_segment = seg_blocks.transpose(0, 2, 1, 3).reshape(-1)
        self._build_cell_codes(np.repeat(np.repeat(band, m, axis=0), m, axis=1))

    def _build_cell_codes(self, band_nodes):
        """Per grid cell: 2·segment + inside if its four nodes agree (and are exact), else -1.

        Stored with a ring of -1 cells around the grid so that a clipped index lands on it.
        """
        ny, nx = self._ny, self._nx
        code_dtype = np.int16 if 2 * self._segments.count + 1 < np.iinfo(np.int16).max else np.int32
        node_code = self._node_segment.reshape(ny, nx).astype(code_dtype) * 2
        node_code += (self._values.reshape(ny, nx) < 0).astype(code_dtype)
        node_code[~band_nodes] = -1
        cell = node_code[:-1, :-1].copy()
        for other in (node_code[:-1, 1:], node_code[1:, :-1], node_code[1:, 1:]):
            cell[other != cell] = -1
        codes = np.full((ny + 1, nx + 1), -1, dtype=code_dtype)
        codes[1:ny, 1:nx] = cell
        self._codes = codes.reshape(-1)

    def _band_candidates(self, band_j, band_i, corner_d, xc, yc, diag):
        """(nb, C) candidate segment ids per band block, padded with the dummy segment."""
        segs = self._segments
        ok = np.ones((band_j.size, segs.count), dtype=bool)
        for k, (dj, di) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
            px = xc[band_i + di] + self._x0
            py = yc[band_j + dj] + self._y0
            for start in range(0, band_j.size, 4096):
                sl = slice(start, start + 4096)
                d2 = segs.distance_sq_all(px[sl], py[sl])
                limit = corner_d[k][band_j[sl], band_i[sl]] + 2.0 * diag
                ok[sl] &= d2 <= (limit**2)[:, None]
        width = max(int(ok.sum(axis=1).max()), 1)
        order = np.argsort(~ok, axis=1, kind="stable")[:, :width]
        return np.where(np.take_along_axis(ok, order, axis=1), order, segs.count)

    def _fill_band(self, blocks, seg_blocks, band_j, band_i, candidates, m):
        """Exact signed distances at all nodes of the band blocks (chunked)."""
        segs = self._segments
        h = self.resolution
        local = (h * np.arange(m)).astype(np.float32)
        # float32 in coordinates relative to the grid origin: ~1e-5 m error at 100 m
        ax = (segs.ax_padded - self._x0).astype(np.float32)
        ay = (segs.ay_padded - self._y0).astype(np.float32)
        ex, ey = segs.ex_padded.astype(np.float32), segs.ey_padded.astype(np.float32)
        inv = segs.inv_len2_padded.astype(np.float32)
        chunk = max(1, 2**18 // (m * m))
        for start in range(0, band_j.size, chunk):
            bj, bi = band_j[start : start + chunk], band_i[start : start + chunk]
            cand = candidates[start : start + chunk]
            px = (bi * m * h).astype(np.float32)[:, None, None] + local[None, None, :]
            py = (bj * m * h).astype(np.float32)[:, None, None] + local[None, :, None]
            best = np.full((bj.size, m, m), np.inf, dtype=np.float32)
            best_seg = np.zeros((bj.size, m, m), dtype=np.intp)
            for slot in range(cand.shape[1]):
                sid = cand[:, slot]
                col = (slice(None), None, None)
                dx = px - ax[sid][col]
                dy = py - ay[sid][col]
                tt = np.clip((dx * ex[sid][col] + dy * ey[sid][col]) * inv[sid][col], 0.0, 1.0)
                qx = dx - tt * ex[sid][col]
                qy = dy - tt * ey[sid][col]
                d2 = qx * qx + qy * qy
                closer = d2 < best
                np.copyto(best, d2, where=closer)
                owner = np.where(
                    tt <= 0.0,
                    segs.owner_start_padded[sid][col],
                    np.where(tt >= 1.0, segs.owner_end_padded[sid][col], sid[col]),
                )
                np.copyto(best_seg, owner, where=closer)
            dist = np.sqrt(best)
            gx = np.broadcast_to(px, dist.shape).ravel().astype(float) + self._x0
            gy = np.broadcast_to(py, dist.shape).ravel().astype(float) + self._y0
            inside = self._inside(gx, gy).reshape(dist.shape)
            blocks[bj, bi] = np.where(inside, -dist, dist)
            seg_blocks[bj, bi] = best_seg

    def _inside(self, px, py):
        """Point inside any solid (matplotlib's point-in-polygon, bounding-box prefilter)."""
        inside = np.zeros(px.shape, dtype=bool)
        for solid in self.solids:
            lo, hi = solid.polygon.min(axis=0), solid.polygon.max(axis=0)
            box = np.flatnonzero(
                (px >= lo[0]) & (px <= hi[0]) & (py >= lo[1]) & (py <= hi[1]) & ~inside
            )
            if box.size:
                inside[box] = Path(solid.polygon).contains_points(
                    np.column_stack([px[box], py[box]])
                )
        return inside


class _Segments:
    """All polygon edges of a set of solids as flat arrays (plus one far padding segment)."""

    def __init__(self, solids: Sequence[Solid]):
        if solids:
            a = np.vstack([solid.polygon for solid in solids])
            b = np.vstack([np.roll(solid.polygon, -1, axis=0) for solid in solids])
            solid = np.concatenate([np.full(len(s.polygon), k) for k, s in enumerate(solids)])
        else:
            a = b = np.zeros((0, 2))
            solid = np.zeros(0, dtype=np.intp)
        self.count = len(a)
        e = b - a
        length = np.hypot(e[:, 0], e[:, 1])
        self.solid = solid.astype(np.intp)
        # counter-clockwise polygons: the outward normal is the edge direction turned right
        self.nx, self.ny = e[:, 1] / length, -e[:, 0] / length
        self.solid_padded = np.append(self.solid, -1)  # index -1: no segment, no solid
        self.ax_padded = np.append(a[:, 0], _DUMMY_FAR)
        self.ay_padded = np.append(a[:, 1], _DUMMY_FAR)
        self.ex_padded = np.append(e[:, 0], 0.0)
        self.ey_padded = np.append(e[:, 1], 0.0)
        self.inv_len2_padded = np.append(1.0 / length**2, 0.0)
        # A point nearest to a shared vertex is equally near both edges that meet there;
        # naming one canonical edge per vertex keeps such regions on the fast query path.
        index = np.arange(self.count)
        sizes = [len(s.polygon) for s in solids]
        first = np.repeat(np.cumsum([0, *sizes[:-1]]), sizes).astype(np.intp)
        size = np.repeat(sizes, sizes).astype(np.intp)
        prev = first + (index - first - 1) % np.maximum(size, 1)
        nxt = first + (index - first + 1) % np.maximum(size, 1)
        self.owner_start_padded = np.append(np.minimum(index, prev), self.count)
        self.owner_end_padded = np.append(np.minimum(index, nxt), self.count)

    def distance_sq_all(self, px, py):
        """Squared distances (n, S) from points to every segment."""
        s = slice(None, self.count)
        dx = px[:, None] - self.ax_padded[None, s]
        dy = py[:, None] - self.ay_padded[None, s]
        ex, ey = self.ex_padded[None, s], self.ey_padded[None, s]
        t = np.clip((dx * ex + dy * ey) * self.inv_len2_padded[None, s], 0.0, 1.0)
        return (dx - t * ex) ** 2 + (dy - t * ey) ** 2

    def nearest(self, px, py, x0, y0):
        """Exact unsigned distance and nearest segment for points relative to (x0, y0)."""
        distance = np.empty(px.shape)
        segment = np.empty(px.shape, dtype=np.intp)
        rows = max(1, 2**20 // max(self.count, 1))
        for start in range(0, px.size, rows):
            sl = slice(start, start + rows)
            d2 = self.distance_sq_all(px[sl] + x0, py[sl] + y0)
            segment[sl] = np.argmin(d2, axis=1)
            distance[sl] = np.sqrt(np.take_along_axis(d2, segment[sl, None], axis=1)[:, 0])
        return distance, segment


def _segment_distance_sq(px, py, segs, seg):
    """Squared distance of points to segments ``seg`` (ids into ``segs``) and nearest points."""
    ax, ay, ex, ey = segs["ax"][seg], segs["ay"][seg], segs["ex"][seg], segs["ey"][seg]
    dx, dy = px - ax, py - ay
    t = clip((dx * ex + dy * ey) * segs["inv_len2"][seg], 0.0, 1.0)
    qx, qy = ax + t * ex, ay + t * ey
    return (px - qx) ** 2 + (py - qy) ** 2, qx, qy


@dataclass(frozen=True)
class _Vertices:
    x: np.ndarray  # (m+1,) the last entry is the far padding vertex
    y: np.ndarray
    solid: np.ndarray


def _convex_vertices(solids: Sequence[Solid]) -> _Vertices:
    """Convex (outward-pointing) vertices of the solids, not strictly inside another solid."""
    xs, ys, owner = [], [], []
    for k, solid in enumerate(solids):
        p = solid.polygon
        before, after = p - np.roll(p, 1, axis=0), np.roll(p, -1, axis=0) - p
        turn = before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0]
        scale = np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1)
        convex = turn > 1e-9 * scale  # left turn on a counter-clockwise polygon
        for other_k, other in enumerate(solids):
            if other_k != k:  # a vertex buried in another solid can never be touched
                convex &= ~_strictly_inside(p, other.polygon)
        xs.append(p[convex, 0])
        ys.append(p[convex, 1])
        owner.append(np.full(int(convex.sum()), k))
    x = np.concatenate([*xs, [_DUMMY_FAR]])
    y = np.concatenate([*ys, [_DUMMY_FAR]])
    solid = np.concatenate([*owner, [-1]]).astype(np.intp)
    return _Vertices(x, y, solid)


def _strictly_inside(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Points (k, 2) inside the polygon and not on its boundary (within 1e-9 m)."""
    inside = Path(polygon).contains_points(points)
    a, b = polygon, np.roll(polygon, -1, axis=0)
    e = b - a
    d = points[:, None, :] - a[None, :, :]
    t = np.clip(np.sum(d * e, axis=2) / np.sum(e * e, axis=1), 0.0, 1.0)
    gap = np.linalg.norm(d - t[..., None] * e[None, :, :], axis=2).min(axis=1)
    return inside & (gap > 1e-9)
