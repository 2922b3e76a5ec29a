"""Friction under a point: the street's surface and its patches (wet cobbles, gravel), as a
raster of patch indices so a lookup is O(1) per sample.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.path import Path

from stuntsim.geometry.shapes import SurfacePatch


# --------------------------------------------------------------------------------------
# Friction
# --------------------------------------------------------------------------------------
class FrictionMap:
    """Tyre–road friction μ as a function of position.

    Parameters
    ----------
    patches : sequence of SurfacePatch   Later patches override earlier ones where they
                                         overlap.
    default_mu : float                   μ outside every patch [-].
    resolution : float or None           Raster cell size [m] (default 0.1). The patch
                                         index is precomputed at cell centres and looked up
                                         by cell, so μ is exact except within
                                         resolution/√2 of a patch boundary. ``None``: exact
                                         point-in-polygon tests at every call (slower).
    """

    def __init__(
        self, patches: Sequence[SurfacePatch], default_mu: float, *, resolution: float | None = 0.1
    ):
        if not default_mu > 0:
            raise ValueError(f"default_mu must be > 0, got {default_mu}")
        self.patches = tuple(patches)
        self.default_mu = float(default_mu)
        self.resolution = resolution
        # index -1 (no patch) reads the last entry: the default
        self._mu = np.array([p.mu for p in self.patches] + [self.default_mu])
        self._raster = None
        if resolution is not None and self.patches:
            if not resolution > 0:
                raise ValueError("resolution must be > 0 or None")
            every = np.vstack([p.polygon for p in self.patches])
            self._lo = every.min(axis=0)
            shape = np.ceil((every.max(axis=0) - self._lo) / resolution).astype(int) + 1
            self._shape = (int(shape[1]), int(shape[0]))  # (rows = y, cols = x)
            gx = self._lo[0] + resolution * (np.arange(self._shape[1]) + 0.5)
            gy = self._lo[1] + resolution * (np.arange(self._shape[0]) + 0.5)
            px, py = (a.ravel() for a in np.meshgrid(gx, gy))
            self._raster = self._patch_index(px, py).astype(np.int16).reshape(self._shape)

    def mu_at(self, px, py) -> np.ndarray:
        """Friction coefficient μ [-] at points (n,) (world frame, metres)."""
        return self._mu[self.patch_index(px, py)]

    def patch_index(self, px, py) -> np.ndarray:
        """Index (n,) into ``patches`` of the patch at each point, -1 where there is none.

        For callers that draw μ per patch per sample (an uncertain μ table).
        """
        px, py = np.broadcast_arrays(
            np.atleast_1d(np.asarray(px, dtype=float)), np.atleast_1d(np.asarray(py, dtype=float))
        )
        if not self.patches:
            return np.full(px.shape, -1, dtype=np.intp)
        if self._raster is None:
            return self._patch_index(px.ravel(), py.ravel()).reshape(px.shape)
        i = np.floor((px - self._lo[0]) / self.resolution)
        j = np.floor((py - self._lo[1]) / self.resolution)
        valid = (i >= 0) & (i < self._shape[1]) & (j >= 0) & (j < self._shape[0])
        flat = np.where(valid, j * self._shape[1] + i, 0).astype(np.intp)
        return np.where(valid, self._raster.ravel()[flat], -1).astype(np.intp)

    def _patch_index(self, px, py):
        index = np.full(px.shape, -1, dtype=np.intp)
        for k, patch in enumerate(self.patches):
            lo, hi = patch.polygon.min(axis=0), patch.polygon.max(axis=0)
            box = np.flatnonzero((px >= lo[0]) & (px <= hi[0]) & (py >= lo[1]) & (py <= hi[1]))
            if box.size:
                hit = Path(patch.polygon).contains_points(np.column_stack([px[box], py[box]]))
                index[box[hit]] = k
        return index
