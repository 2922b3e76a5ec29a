"""Checkpoints: a long run's finished chunks kept on disk, so that a run cut short (a job
killed at its time limit, a lost node, a reboot) resumes where it stopped instead of
starting over — ``stuntsim.run(..., checkpoint=FOLDER)``, ``stuntsim run FILE
--checkpoint FOLDER``.

Why it can be exact: a chunk is a run of whole seeding blocks, each block's takes are
drawn from its own stream (:mod:`stuntsim.risk.sampling`), and the model is deterministic
given a take's draws. So chunk *i* of a run is the same computation whichever run it
belongs to — one that stopped, one that resumes, one with more takes (its chunks up to
the last one of the shorter run are the same; only a last, partial chunk differs) — and a
resumed run equals the uninterrupted one bit for bit (tests/test_checkpoint.py).

What must match for a chunk to be reused, recorded in ``checkpoint.json`` and refused
with a clear error when it differs: the scenario's content (everything but ``samples``
and ``seed``: a comment may change, a value may not), the seed, ``chunk_blocks``, the
stuntsim code (a hash of its source files: a fix in the physics must not meet chunks of
the old physics) and numpy's version (its functions' last bits may change). A chunk file
also names its takes, and is only used where they are the chunk's.

Each chunk is one ``chunk-NNNNNN.npz`` (numpy's own format, uncompressed: a chunk is
written every few seconds and must cost little), written whole by a rename
(:func:`stuntsim.outputs.write_atomic`), so a killed run leaves whole chunks or none. A
file that cannot be read is set aside with a warning and its takes simulated again.
The folder is kept when the run ends (a report can be drawn again from it in seconds);
delete it when done. It holds about a run's per-take results: 0.4 kB a take for the Rome
car, 1 kB a run for the train (measured: 1.7 and 4.1 MB per chunk of 4096).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stuntsim.errors import ScenarioError, StuntWarning
from stuntsim.outputs import write_atomic

__all__ = ["FORMAT", "Checkpoint", "StoredChunk", "code_fingerprint", "scenario_fingerprint"]

#: The checkpoint format this code writes and reads.
FORMAT = 1
MANIFEST = "checkpoint.json"
_CHUNK = re.compile(r"chunk-(\d{6,})\.npz\Z")


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 of stuntsim's source files (their paths and contents, in order)."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def scenario_fingerprint(scenario) -> str:
    """SHA-256 of a resolved scenario's validated content, ``samples`` and ``seed`` left
    out (a run may be resumed with more takes; the seed is compared on its own)."""
    data = scenario.scenario.model_dump(mode="json")
    data.pop("samples", None)
    data.pop("seed", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@dataclass
class StoredChunk:
    """One chunk's takes as a checkpoint holds them (what the runner collects): the
    draws, the model's margins, facts, endings and progress, and the paths it read."""

    drawn: dict[str, np.ndarray]
    margins: dict[str, np.ndarray]
    details: dict[str, np.ndarray]
    ending: np.ndarray
    progress: np.ndarray
    read: frozenset[str]


class Checkpoint:
    """A run's checkpoint folder: :meth:`open` it, :meth:`load` the chunks it holds,
    :meth:`save` each chunk as it is done."""

    def __init__(self, folder: Path, identity: dict, source: str):
        self.folder = Path(folder)
        self.identity = identity
        self.source = source

    @classmethod
    def open(cls, folder, scenario, seed: int, chunk_blocks: int) -> Checkpoint:
        """The checkpoint of this run in ``folder``: created (with the folder) if there is
        none; refused with a :class:`~stuntsim.errors.ScenarioError` naming the first
        difference if it belongs to another run, or if ``folder`` holds other files."""
        folder = Path(folder)
        identity = {
            "format": FORMAT,
            "scenario": scenario_fingerprint(scenario),
            "seed": int(seed),
            "chunk_blocks": int(chunk_blocks),
            "stuntsim_code": code_fingerprint(),
            "numpy": np.__version__,
        }
        manifest = folder / MANIFEST
        if folder.exists() and not folder.is_dir():
            raise ScenarioError(f"checkpoint {folder} is a file, not a folder",
                                source=scenario.source)
        if manifest.is_file():
            try:
                theirs = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise ScenarioError(f"checkpoint {folder}: {MANIFEST} cannot be read ({err});"
                                    f" use another folder", source=scenario.source) from None
            for key, ours in identity.items():
                if theirs.get(key) != ours:
                    raise ScenarioError(
                        f"checkpoint {folder} holds the chunks of another run: its "
                        f"{_WHAT[key]} differs ({theirs.get(key)!r}, this run "
                        f"{ours!r}); resume with the same scenario, seed and stuntsim, or "
                        f"give another --checkpoint folder", source=scenario.source)
        else:
            if folder.is_dir() and any(folder.iterdir()):
                raise ScenarioError(f"checkpoint {folder} is a folder with other files in "
                                    f"it and no {MANIFEST}: give an empty or a new folder",
                                    source=scenario.source)
            write_atomic(manifest, (json.dumps(identity, indent=2) + "\n").encode())
        return cls(folder, identity, scenario.source)

    def path(self, chunk) -> Path:
        return self.folder / f"chunk-{chunk.index:06d}.npz"

    def stored(self, chunks) -> int:
        """How many of ``chunks`` (a run's plan) have their file here (unread)."""
        present = {int(m.group(1)) for p in self.folder.iterdir()
                   if (m := _CHUNK.match(p.name))}
        return sum(1 for chunk in chunks if chunk.index in present)

    def load(self, chunk) -> StoredChunk | None:
        """Chunk ``chunk``'s takes, or None where there is no file for them here. A file
        that cannot be read is renamed ``….bad``, with a warning; one that holds other
        takes (the last, shorter chunk of a run with fewer takes) is replaced."""
        path = self.path(chunk)
        if not path.is_file():
            return None
        try:  # read whole first: np.load leaves a file it fails on open
            with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode())
                groups: dict[str, dict[str, np.ndarray]] = {"draw": {}, "margin": {},
                                                             "detail": {}}
                for key in data.files:
                    if "/" in key:
                        prefix, name = key.split("/", 1)
                        groups[prefix][name] = data[key]
                ending, progress = data["ending"], data["progress"]
        except Exception as err:  # any unreadable file: its takes are simulated again
            return self._set_aside(path, f"it cannot be read ({type(err).__name__}: {err})")
        if (meta.get("start"), meta.get("stop")) != (chunk.start, chunk.stop):
            return None  # the last chunk of a run of another size: simulated, and replaced
        return StoredChunk(drawn=groups["draw"], margins=groups["margin"],
                           details=groups["detail"], ending=ending, progress=progress,
                           read=frozenset(meta["read"]))

    def save(self, chunk, drawn, outcome, read) -> None:
        """Keep one finished chunk (written whole, or not at all)."""
        arrays = {f"draw/{name}": np.asarray(values) for name, values in drawn.items()}
        arrays |= {f"margin/{name}": np.asarray(values)
                   for name, values in outcome.margins.items()}
        arrays |= {f"detail/{name}": np.asarray(values)
                   for name, values in outcome.details.items()}
        meta = {"start": chunk.start, "stop": chunk.stop, "read": sorted(read)}
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                 ending=np.asarray(outcome.ending), progress=np.asarray(outcome.progress),
                 **arrays)
        write_atomic(self.path(chunk), buffer.getvalue())

    def _set_aside(self, path: Path, why: str) -> None:
        warnings.warn(f"checkpoint {path}: {why}; its takes are simulated again",
                      StuntWarning, stacklevel=3)
        path.replace(path.with_suffix(".bad"))
        return None


_WHAT = {
    "format": "checkpoint format",
    "scenario": "scenario (its values, not counting samples and seed)",
    "seed": "seed",
    "chunk_blocks": "simulation.chunk_blocks",
    "stuntsim_code": "stuntsim code",
    "numpy": "numpy version",
}
