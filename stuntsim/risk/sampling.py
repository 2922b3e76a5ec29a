"""Reproducible, chunk-independent random draws (DESIGN principle 4).

The unit of seeding is a *block* of :data:`BLOCK_SIZE` samples. Every block and every
parameter name has its own stream::

    SeedSequence(entropy=seed, spawn_key=(block, stable_hash(name))) → PCG64

so

* sample i gets the same draws however samples are grouped into chunks, and
  wherever a chunk runs (this process, a process pool, a cluster);
* adding or removing an uncertain parameter does not change the draws of the
  others (common random numbers between a baseline and its variants).

Uniforms are taken from the raw 64-bit output of PCG64 (stable across numpy
versions, unlike ``Generator`` methods) and put on the midpoints of a 2⁻⁵² grid,
so they lie strictly inside (0, 1): ``ppf`` never sees 0 or 1. Values are then
obtained by inverse CDF (:mod:`stuntsim.risk.distributions`).

No global numpy random state is used anywhere.
"""

from __future__ import annotations

import math
import numbers
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from stuntsim.risk.distributions import Distribution

__all__ = [
    "BLOCK_SIZE",
    "SMALLEST_UNIFORM",
    "Chunk",
    "block_uniforms",
    "draw",
    "plan_chunks",
    "reachable_range",
    "stable_hash",
    "stream",
    "uniforms",
]

#: Samples per block, the unit of seeding. Changing it changes every draw.
BLOCK_SIZE = 4096

_MANTISSA_BITS = 52

#: The most extreme uniforms a Monte Carlo draw can take, 2⁻⁵³ and 1 − 2⁻⁵³ (the outer
#: midpoints of the 2⁻⁵² grid): a normal input reaches at most ±8.2 standard deviations.
SMALLEST_UNIFORM = 0.5 * 2.0**-_MANTISSA_BITS


def reachable_range(dist) -> tuple[float, float]:
    """The lowest and highest value a Monte Carlo draw of ``dist`` can take (its inverse
    CDF at :data:`SMALLEST_UNIFORM` and 1 − :data:`SMALLEST_UNIFORM`)."""
    low, high = np.asarray(dist.ppf([SMALLEST_UNIFORM, 1.0 - SMALLEST_UNIFORM]), dtype=float)
    return float(low), float(high)


def stable_hash(name: str) -> int:
    """A deterministic 32-bit hash of ``name`` (CRC-32 of its UTF-8), unlike ``hash()``."""
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, block: int, name: str) -> np.random.Generator:
    """The generator for one block and one name; the root of all randomness here."""
    _check_seed(seed)
    if isinstance(block, bool) or not isinstance(block, numbers.Integral) or block < 0:
        raise ValueError(f"block must be an integer ≥ 0, got {block!r}")
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(int(block), stable_hash(name)))
    return np.random.Generator(np.random.PCG64(sequence))


def block_uniforms(
    seed: int, block: int, names: Sequence[str], size: int = BLOCK_SIZE
) -> dict[str, np.ndarray]:
    """Uniforms in (0, 1) for one block: ``{name: (size,) array}``, one stream per name.

    The first ``k`` values do not depend on ``size`` (≥ k), so a partial last block
    is a prefix of the full one.
    """
    _check_names(names)
    out = {}
    for name in names:
        raw = stream(seed, block, name).bit_generator.random_raw(size)
        # Midpoints of 2**52 equal cells: exactly representable, symmetric, inside (0, 1).
        cells = (raw >> np.uint64(64 - _MANTISSA_BITS)).astype(np.float64)
        out[name] = (cells + 0.5) * 2.0**-_MANTISSA_BITS
    return out


@dataclass(frozen=True)
class Chunk:
    """A run of whole blocks: samples ``start`` to ``stop`` (exclusive).

    Only the last chunk's last block may be partial (``stop`` = n_samples).
    """

    index: int
    first_block: int
    n_blocks: int
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


def plan_chunks(n_samples: int, chunk_blocks: int) -> list[Chunk]:
    """Cut ``n_samples`` into chunks of ``chunk_blocks`` whole blocks (the last may be shorter)."""
    for label, value in (("n_samples", n_samples), ("chunk_blocks", chunk_blocks)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{label} must be an integer ≥ 1, got {value!r}")
    total_blocks = math.ceil(n_samples / BLOCK_SIZE)
    chunks = []
    for index, first_block in enumerate(range(0, total_blocks, chunk_blocks)):
        n_blocks = min(chunk_blocks, total_blocks - first_block)
        start = first_block * BLOCK_SIZE
        stop = min((first_block + n_blocks) * BLOCK_SIZE, n_samples)
        chunks.append(Chunk(index, first_block, n_blocks, start, stop))
    return chunks


def uniforms(seed: int, names: Sequence[str], start: int, stop: int) -> dict[str, np.ndarray]:
    """Uniforms of samples ``start`` … ``stop - 1``: ``{name: (stop - start,) array}``.

    Whole blocks are generated and sliced, so sample i's uniforms do not depend on
    ``start`` and ``stop``.
    """
    _check_seed(seed)
    _check_names(names)
    if isinstance(start, bool) or isinstance(stop, bool) or not 0 <= start <= stop:
        raise ValueError(f"need 0 ≤ start ≤ stop, got start={start!r}, stop={stop!r}")
    if start == stop:
        return {name: np.empty(0) for name in names}
    first_block, last_block = start // BLOCK_SIZE, (stop - 1) // BLOCK_SIZE
    parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for block in range(first_block, last_block + 1):
        for name, values in block_uniforms(seed, block, names).items():
            parts[name].append(values)
    offset = first_block * BLOCK_SIZE
    return {
        name: np.concatenate(blocks)[start - offset : stop - offset]
        for name, blocks in parts.items()
    }


def draw(
    seed: int,
    names: Sequence[str],
    dists: Mapping[str, Distribution],
    start: int,
    stop: int,
) -> dict[str, np.ndarray]:
    """Values of samples ``start`` … ``stop - 1`` for each name: ``dists[name].ppf(u)``.

    Returns ``{name: (stop - start,) array}`` in the order of ``names``.
    """
    missing = [name for name in names if name not in dists]
    if missing:
        raise ValueError(f"no distribution given for {', '.join(map(repr, missing))}")
    u = uniforms(seed, names, start, stop)
    return {name: np.asarray(dists[name].ppf(u[name]), dtype=float) for name in names}


# --- helpers -----------------------------------------------------------------------


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an integer ≥ 0, got {seed!r}")


def _check_names(names: Sequence[str]) -> None:
    if isinstance(names, str):
        raise TypeError("names must be a sequence of names, not one string")
    seen: dict[int, str] = {}
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"parameter names must be strings, got {name!r}")
        key = stable_hash(name)
        if key in seen:
            what = "is repeated" if seen[key] == name else f"has the same hash as {seen[key]!r}"
            raise ValueError(f"parameter name {name!r} {what}; streams would coincide")
        seen[key] = name
