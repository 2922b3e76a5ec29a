"""Animations of takes, for every stunt kind: the frames' schedule, the drawing of frames,
and the writers (GIF with Pillow, MP4 with FFmpeg when it is on the PATH).

A kind draws its scene once on a :class:`~matplotlib.figure.Figure` and names the artists
that move (:class:`Animation`); each frame restores the still picture and draws only those
artists over it (blitting), so a frame costs a fraction of a millisecond instead of a
full redraw. The frames go to matplotlib's movie writers (:mod:`matplotlib.animation`):
:class:`GifWriter` is Pillow's writer (``PillowWriter``) taking the canvas as drawn and
writing every frame with one shared palette (no dithering: flat colours and small files);
:class:`Mp4Writer` is the FFmpeg writer fed the same pixels. Nothing here runs a
simulation: a kind hands over what its model recorded.

Time: a frame shows one recorded step of the takes (never an interpolation), every
``stride`` steps, so what is drawn is what was simulated; ``stride = speed / (fps · dt)``
plays the takes at ``speed`` times true time (1: true time).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.animation import FFMpegWriter, PillowWriter
from matplotlib.artist import Artist
from matplotlib.figure import Figure

__all__ = ["ANIMATION_FORMATS", "Animation", "GifWriter", "Mp4Writer", "Segment",
           "ffmpeg_available", "frame_steps", "stride_for"]

#: The formats :meth:`Animation.encode` writes (MP4 only with FFmpeg on the PATH).
ANIMATION_FORMATS = ("gif", "mp4")


def stride_for(dt: float, fps: float, speed: float = 1.0) -> int:
    """Recorded steps per frame: ``speed / (fps · dt)`` rounded, at least 1 (the playback
    speed is then ``stride · dt · fps`` times true time)."""
    if not (dt > 0 and fps > 0 and speed > 0):
        raise ValueError(f"need dt, fps and speed > 0, got {dt}, {fps}, {speed}")
    return max(1, round(speed / (fps * dt)))


def frame_steps(first: int, last: int, stride: int, include=()) -> np.ndarray:
    """The recorded steps shown: ``first``, every ``stride`` steps after it, ``last`` (the
    moment a take ends is always a frame) and the steps in ``include`` between them (the
    moment something happened: shown, not stepped over)."""
    if last < first:
        raise ValueError(f"last step {last} before the first {first}")
    steps = np.arange(first, last + 1, stride)
    keys = [int(step) for step in include if first <= step <= last]
    return np.unique(np.concatenate([steps, [last], keys]).astype(int))


@dataclass
class Segment:
    """One stretch of an animation: its frames (recorded steps, and their times [s]), the
    take it shows (−1: several at once), and how long its last frame is held [s]."""

    steps: np.ndarray
    times: np.ndarray
    take: int = -1
    hold: float = 0.0
    #: the kind's own data for this stretch (the window, the take's row…)
    data: dict = field(default_factory=dict)


class Animation:
    """A figure, the artists that move on it and the frames.

    ``draw(segment, i)`` sets the moving artists for frame ``i`` of a segment (their data,
    visibility, text); ``prepare(segment)``, when given, sets the still picture of a
    segment (a window, a title), drawn once per segment. ``artists`` are drawn over the
    still picture in their order. ``sticky`` artists (among them) do not change once
    visible until the segment ends — a line of text saying what happened — so they are
    drawn into the still picture when they appear instead of on every frame (text is what
    costs: several milliseconds a line). ``fps`` is the playback frame rate; ``speed`` the
    playback speed against true time.
    """

    def __init__(self, figure: Figure, artists: Sequence[Artist], segments: Sequence[Segment],
                 draw: Callable[[Segment, int], None], *, fps: float, speed: float = 1.0,
                 prepare: Callable[[Segment], None] | None = None,
                 sticky: Sequence[Artist] = (), parts: dict[str, Artist] | None = None,
                 title: str = ""):
        if not segments or any(len(s.steps) == 0 for s in segments):
            raise ValueError("an animation needs at least one frame in every segment")
        self.figure = figure
        self.artists = list(artists)
        self.segments = list(segments)
        self.fps = float(fps)
        self.speed = float(speed)
        self.title = title
        #: the moving artists by name, to read a frame back ("car 754", "trail 754"…)
        self.parts = dict(parts or {})
        self._draw = draw
        self._prepare = prepare
        self._prepared: int | None = None
        self._background = None
        self._sticky = list(sticky)
        self._baked: set[int] = set()  # sticky artists drawn into the background
        self._last = -1  # the frame rendered last
        for artist in self.artists:
            artist.set_animated(True)

    # ------------------------------------------------------------------ the frames
    @property
    def frames(self) -> list[tuple[int, int]]:
        """(segment, frame in it) for every frame, in order."""
        return [(k, i) for k, segment in enumerate(self.segments)
                for i in range(len(segment.steps))]

    @property
    def n_frames(self) -> int:
        return sum(len(segment.steps) for segment in self.segments)

    @property
    def times(self) -> np.ndarray:
        """The simulated time [s] each frame shows."""
        return np.concatenate([segment.times for segment in self.segments])

    @property
    def durations(self) -> list[int]:
        """How long each frame is shown [ms]: 1000 / fps, the last of a segment longer by
        its hold."""
        base = 1000.0 / self.fps
        out = []
        for segment in self.segments:
            out += [round(base)] * (len(segment.steps) - 1)
            out.append(round(base + 1000.0 * segment.hold))
        return out

    @property
    def duration(self) -> float:
        """The playing time [s]."""
        return sum(self.durations) / 1000.0

    @property
    def size(self) -> tuple[int, int]:
        """Width and height of a frame [px]."""
        width, height = self.figure.get_size_inches() * self.figure.dpi
        return round(width), round(height)

    def update(self, frame: int) -> list[Artist]:
        """Set the artists for frame ``frame`` (0 … n_frames − 1) and return them (nothing
        is rendered: the artists can be read back)."""
        k, i = self.frames[frame]
        self._enter(k, render=False)
        self._draw(self.segments[k], i)
        return self.artists

    def render(self, frame: int) -> None:
        """Draw frame ``frame`` on the figure's canvas (the still picture, then the moving
        artists over it)."""
        k, i = self.frames[frame]
        if frame <= self._last:  # back in time: sticky artists may have gone
            self._background = None
        self._last = frame
        self._enter(k, render=True)
        self._draw(self.segments[k], i)
        canvas = self.figure.canvas
        canvas.restore_region(self._background)
        appeared = [artist for artist in self._sticky
                    if artist.get_visible() and id(artist) not in self._baked]
        if appeared:
            for artist in appeared:
                self.figure.draw_artist(artist)
                self._baked.add(id(artist))
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        baked = self._baked
        for artist in self.artists:
            if artist.get_visible() and id(artist) not in baked:
                self.figure.draw_artist(artist)

    def _enter(self, k: int, *, render: bool) -> None:
        if self._prepared != k:
            if self._prepare is not None:
                self._prepare(self.segments[k])
            self._prepared = k
            self._background = None
        if render and self._background is None:
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            if not isinstance(self.figure.canvas, FigureCanvasAgg):
                FigureCanvasAgg(self.figure)
            canvas = self.figure.canvas
            canvas.draw()  # the still picture (animated artists are left out)
            # the layout is settled: frames do not move the axes (and drawing is cheaper)
            self.figure.set_layout_engine("none")
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            self._baked = set()

    def rgb(self, frame: int) -> np.ndarray:
        """Frame ``frame`` as an (height, width, 3) uint8 array."""
        self.render(frame)
        return np.asarray(self.figure.canvas.buffer_rgba())[..., :3].copy()

    # ------------------------------------------------------------------ files
    def encode(self, formats: Sequence[str] = ("gif",)) -> dict[str, bytes]:
        """The animation as files: format → bytes. ``"gif"`` always; ``"mp4"`` only when
        FFmpeg is on the PATH (otherwise left out: see :func:`ffmpeg_available`)."""
        unknown = [f for f in formats if f not in ANIMATION_FORMATS]
        if unknown:
            raise ValueError(f"animation formats are {ANIMATION_FORMATS}, got {unknown[0]!r}")
        formats = [f for f in formats if f != "mp4" or ffmpeg_available()]
        if not formats:
            return {}
        writers = {"gif": lambda: GifWriter(fps=self.fps, durations=self.durations),
                   "mp4": lambda: Mp4Writer(fps=self.fps, durations=self.durations)}
        with tempfile.TemporaryDirectory(prefix="stuntsim-animation-") as folder:
            paths = {f: Path(folder) / f"animation.{f}" for f in formats}
            with contextlib.ExitStack() as stack:
                active = [stack.enter_context(writers[f]().saving(self.figure, paths[f],
                                                                   self.figure.dpi))
                          for f in formats]
                for frame in range(self.n_frames):
                    self.render(frame)
                    for writer in active:
                        writer.grab_frame()
            return {f: path.read_bytes() for f, path in paths.items()}


def ffmpeg_available() -> bool:
    """Whether an ``ffmpeg`` binary is on the PATH (matplotlib's ``animation.ffmpeg_path``)."""
    import matplotlib as mpl

    path = mpl.rcParams["animation.ffmpeg_path"]
    return (shutil.which(path) is not None) if not os.path.isabs(path) else os.access(
        path, os.X_OK)


class GifWriter(PillowWriter):
    """matplotlib's Pillow writer, taking the canvas as the animation drew it (no redraw
    per frame) and writing the GIF with one palette for every frame, taken from the first,
    middle and last frames (no dithering), and each frame's own duration [ms]."""

    def __init__(self, *, fps: float, durations: Sequence[int], colours: int = 255):
        super().__init__(fps=fps)
        self._durations = list(durations)
        self._colours = colours

    def grab_frame(self, **savefig_kwargs):
        from PIL import Image

        canvas = self.fig.canvas
        width, height = canvas.get_width_height(physical=True)
        self._frames.append(Image.frombuffer("RGBA", (width, height),
                                             bytes(canvas.buffer_rgba()), "raw", "RGBA", 0,
                                             1).convert("RGB"))

    def finish(self):
        from PIL import Image

        frames = self._frames
        if len(self._durations) != len(frames):
            raise ValueError(f"{len(frames)} frames grabbed for {len(self._durations)} "
                             f"durations")
        picks = sorted({0, len(frames) // 2, len(frames) - 1})
        width, height = frames[0].size
        sample = Image.new("RGB", (width, height * len(picks)))
        for row, index in enumerate(picks):
            sample.paste(frames[index], (0, row * height))
        palette = sample.quantize(colors=self._colours, method=Image.Quantize.MEDIANCUT,
                                  dither=Image.Dither.NONE)
        quantised = [frame.quantize(palette=palette, dither=Image.Dither.NONE)
                     for frame in frames]
        quantised[0].save(self.outfile, format="GIF", save_all=True,
                          append_images=quantised[1:], duration=self._durations, loop=0)


class Mp4Writer(FFMpegWriter):
    """matplotlib's FFmpeg writer (H.264, yuv420p), fed the canvas as the animation drew it;
    a frame held longer is repeated (an MP4 has one frame rate)."""

    def __init__(self, *, fps: float, durations: Sequence[int]):
        super().__init__(fps=fps, codec="h264")
        base = 1000.0 / fps
        self._repeats = [max(1, math.floor(d / base + 0.5)) for d in durations]
        self._grabbed = 0

    def grab_frame(self, **savefig_kwargs):
        data = bytes(self.fig.canvas.buffer_rgba())
        repeats = self._repeats[self._grabbed] if self._grabbed < len(self._repeats) else 1
        self._grabbed += 1
        for _ in range(repeats):
            self._proc.stdin.write(data)
