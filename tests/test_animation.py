"""Animations of takes: frames at the take's own simulated time, the car drawn where the model
had it, replayed takes identical to the run's, the GIF a run writes (and its report embeds),
``stuntsim animate`` and its errors.

Expected values come from elsewhere than the drawing code: the model's own recording of a
take simulated alone in the test, the run's saved margins and draws, the GIF file read back
with Pillow.
"""

from __future__ import annotations

import io
import math
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import stuntsim
from stuntsim.cli import main
from stuntsim.geometry import footprint_corners
from stuntsim.kinds import kind_of
from stuntsim.kinds.car.model import CarModel, Parameters
from stuntsim.plots.animation import ffmpeg_available, frame_steps, stride_for
from stuntsim.report.animation import animate, take_trajectories, worst_takes
from stuntsim.risk.montecarlo import failed
from stuntsim.runner import replay

ROOT = Path(__file__).resolve().parents[1]
ROME = ROOT / "scenarios" / "rome_sharp_turn.yaml"
TRAIN = ROOT / "scenarios" / "train_roof.yaml"


@pytest.fixture(scope="module")
def rome_run(tmp_path_factory):
    """A small Rome run written by the command line, figures and animation included."""
    out = tmp_path_factory.mktemp("rome")
    assert main(["run", str(ROME), "--samples", "300", "--seed", "11", "--out", str(out),
                 "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def rome(rome_run):
    return stuntsim.load_result(rome_run)


def _gif(data_or_path) -> tuple[int, int, tuple[int, int]]:
    """(frames, total duration [ms], size) of a GIF file."""
    with Image.open(data_or_path) as image:
        total = 0
        for i in range(image.n_frames):
            image.seek(i)
            total += image.info["duration"]
        return image.n_frames, total, image.size


def _recorded(result, take: int) -> dict[str, np.ndarray]:
    """The take simulated here from its saved draws, its steps recorded by the model (not
    by the code under test)."""
    return _recorded_takes(result, [take])[take]


def _recorded_takes(result, takes) -> dict[int, dict[str, np.ndarray]]:
    model = kind_of(result.resolved).model(result.resolved)
    draws = {name: values[takes] for name, values in result.draws.items()}
    outcome = model.simulate(draws, len(takes), record=True)
    return {take: {key: values[i] for key, values in outcome.trajectories.items()}
            for i, take in enumerate(takes)}


# ------------------------------------------------------------------------- frames and time


def test_frames_follow_the_takes_simulated_time_at_the_frame_rate(rome):
    from stuntsim.kinds.car.animation import animate_takes

    safe = np.flatnonzero((rome.run_ending == 1) & ~rome.any_margin_failed)
    take = int(safe[0])  # a take with no moment of its own: frames on the clock only
    trajectories, notes = take_trajectories(rome, [take])
    assert notes == []
    fps, hold = 5.0, 1.0
    movie = animate_takes(rome, [take], trajectories, fps=fps, view="all", hold=hold)
    row = _recorded(rome, take)
    last = int(np.flatnonzero(row["active"] > 0)[-1])
    duration = row["t"][last] - row["t"][0]  # the take's simulated duration [s]
    assert movie.times[0] == row["t"][0]
    assert movie.times[-1] == row["t"][last]
    assert movie.n_frames == math.ceil(duration * fps - 1e-9) + 1
    assert movie.speed == pytest.approx(1.0)  # true time
    assert np.allclose(np.diff(movie.times)[:-1], 1.0 / fps)
    assert movie.duration == pytest.approx(movie.n_frames / fps + hold)
    gif = movie.encode(["gif"])["gif"]
    frames, total, size = _gif(io.BytesIO(gif))
    assert total == round(1000 * movie.duration)  # identical frames may be merged
    assert 1 < frames <= movie.n_frames
    assert size == movie.size
    assert size[0] % 2 == 0
    assert size[1] % 2 == 0  # even: an MP4 needs it


def test_the_moments_of_a_take_are_frames(rome):
    take, hazard = worst_takes(rome)[0]
    movie, _ = animate(rome, [take])
    if hazard == "collision":
        assert rome.details["collision_time"][take] in movie.times
    steps = frame_steps(3, 40, 10, include=[17, 99])
    assert steps.tolist() == [3, 13, 17, 23, 33, 40]
    assert stride_for(0.01, 10) == 10
    assert stride_for(0.1, 10, 4.0) == 4


def test_the_drawn_car_is_the_simulated_car_at_that_time(rome):
    take = worst_takes(rome)[0][0]
    movie, _ = animate(rome, [take])
    row = _recorded(rome, take)
    draws = {name: values[take:take + 1] for name, values in rome.draws.items()}
    car = CarModel(rome.resolved).car_values(Parameters(rome.resolved.nominal, draws, 1))
    front = car["cg_to_front"][0] + car["front_overhang"][0]
    rear, half = car["length"][0] - front, 0.5 * car["width"][0]
    last = int(np.flatnonzero(row["active"] > 0)[-1])
    for frame in (0, movie.n_frames // 3, movie.n_frames - 1):
        movie.update(frame)
        k = min(int(np.argmin(np.abs(row["t"] - movie.times[frame]))), last)
        assert abs(row["t"][k] - movie.times[frame]) < 1e-9 or k == last
        drawn = movie.parts[f"car {take}"].get_xy()[:4]
        expected = footprint_corners(row["x"][k], row["y"][k], row["yaw"][k], front, rear,
                                     half)[0]
        np.testing.assert_allclose(drawn, expected, rtol=0, atol=1e-12)
        trail = movie.parts[f"trail {take}"].get_segments()
        if trail:
            np.testing.assert_allclose(trail[-1][-1], [row["x"][k], row["y"][k]], atol=1e-12)
        speed = movie.parts[f"status {take}"].get_text().split()[0]
        assert float(speed) == round(row["speed"][k] * 3.6)


# ------------------------------------------------------------------------- replay


def test_a_replayed_take_is_the_run_s_own(rome):
    takes = sorted({take for take, _ in worst_takes(rome)} | {0, rome.samples - 1})
    drawn, outcome = replay(rome, takes)
    for name, values in drawn.items():  # the seed's block streams give the saved draws
        assert np.array_equal(values, rome.draws[name][takes]), name
    for name in rome.hazards:  # and the model the saved margins, bit for bit
        assert np.array_equal(outcome.margins[name], rome.margins[name][takes]), name
    with pytest.raises(ValueError, match="out of range"):
        replay(rome, [rome.samples])


def test_the_train_is_shown_around_each_take_s_moment(tmp_path):
    resolved = stuntsim.load_scenario(TRAIN)
    result = stuntsim.run(resolved, samples=60, seed=3, executor="serial",
                          keep_trajectories=0)
    movie, notes = animate(result)  # the takes replayed: their margins are the run's
    assert notes == []
    assert [segment.take for segment in movie.segments] == [take for take, _ in
                                                            worst_takes(result)]
    assert movie.speed == pytest.approx(4.0)
    names = result.performer_names
    frame = 0
    recorded = _recorded_takes(result, [segment.take for segment in movie.segments])
    for segment in movie.segments:
        row = recorded[segment.take]
        moment = segment.data["moment"]
        assert moment - 7.0 - 1e-9 <= segment.times[0]
        assert segment.times[-1] <= moment + 2.0
        for i, step in enumerate(segment.steps):
            movie.update(frame + i)
            s = row["s"][step]
            assert movie.parts["coach"].get_x() + 12.0 == pytest.approx(s)
            for j, name in enumerate(names):
                assert movie.parts[f"performer {name}"].get_ydata()[1] == row["top"][j][step]
                gap = movie.parts[f"clearance {name}"]
                if np.isfinite(row["overhead"][step]):  # under a structure: its clearance
                    assert gap.get_visible()
                    assert gap.get_text() == f"{row['overhead'][step] - row['top'][j][step]:+.2f} m"
                else:
                    assert not gap.get_visible()
        frame += len(segment.steps)
    assert frame == movie.n_frames


# ------------------------------------------------------------------------- the run's GIF


def test_run_writes_worst_takes_gif_and_the_report_embeds_it(rome_run, rome):
    gif = rome_run / "worst_takes.gif"
    data = gif.read_bytes()
    assert data[:6] == b"GIF89a"
    assert len(data) < 5_000_000  # small enough for a chat message
    frames, total, _ = _gif(gif)
    assert frames > 10
    assert 2_000 < total < 20_000
    html = (rome_run / "report.html").read_text()
    assert "data:image/gif;base64," in html
    assert not (rome_run / "worst_takes.mp4").exists() or ffmpeg_available()


def test_an_animation_that_fails_is_a_warning_not_a_lost_run(rome, monkeypatch):
    from stuntsim.cli.animate import _worst_takes
    from stuntsim.kinds.car.kind import CarKind

    def broken(*args, **kwargs):
        raise RuntimeError("no pixels today")

    monkeypatch.setattr(CarKind, "animation", broken)
    files, embedded, notes = _worst_takes(rome)
    assert files == {}
    assert embedded == {}
    assert len(notes) == 1
    assert "worst_takes.gif could not be drawn" in notes[0]
    assert "no pixels today" in notes[0]


def test_mp4_is_skipped_without_ffmpeg_and_fed_the_frames_with_it(rome, tmp_path,
                                                                   monkeypatch):
    import matplotlib as mpl

    movie, _ = animate(rome, [worst_takes(rome)[0][0]], fps=5.0)
    monkeypatch.setitem(mpl.rcParams, "animation.ffmpeg_path", str(tmp_path / "no-ffmpeg"))
    assert not ffmpeg_available()
    assert set(movie.encode(["gif", "mp4"])) == {"gif"}
    # a stand-in ffmpeg that keeps what it is fed: one RGBA frame per 1/fps of playing
    stub = tmp_path / "ffmpeg"
    stub.write_text('#!/bin/sh\nfor last; do :; done\ncat > "$last"\n')
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setitem(mpl.rcParams, "animation.ffmpeg_path", str(stub))
    assert ffmpeg_available()
    raw = movie.encode(["mp4"])["mp4"]
    width, height = movie.size
    assert len(raw) == round(movie.duration * movie.fps) * width * height * 4


# ------------------------------------------------------------------------- stuntsim animate


def test_animate_writes_the_chosen_takes(rome_run, rome, tmp_path, capsys):
    take = worst_takes(rome)[0][0]
    out = tmp_path / "chosen.gif"
    assert main(["animate", str(rome_run), "--take", str(take), "--fps", "5",
                 "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    frames, total, _ = _gif(out)
    assert frames > 1
    assert total > 1000
    assert main(["animate", str(rome_run), "--take", "0", "--fps", "5"]) == 0
    assert (rome_run / "take_0.gif").read_bytes()[:6] == b"GIF89a"
    (rome_run / "take_0.gif").unlink()


@pytest.mark.parametrize(("arguments", "message"), [
    (["--take", "300"], "take 300 is out of range: the run in"),
    (["--take", "3", "300000"], "out of range"),
    (["--take", "1", "2", "3", "4", "5", "6", "7"], "at most 6 takes"),
    (["--take", "1", "--out", "x.txt"], "must end in .gif or .mp4"),
    (["--take", "1", "--fps", "100"], "--fps must be"),
])
def test_animate_refuses_bad_takes_with_one_line_and_writes_nothing(rome_run, arguments,
                                                                    message, capsys):
    before = sorted(path.name for path in rome_run.iterdir())
    assert main(["animate", str(rome_run), *arguments]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
    assert sorted(path.name for path in rome_run.iterdir()) == before


def test_animate_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    for folder in (tmp_path, tmp_path / "missing"):
        assert main(["animate", str(folder), "--take", "0"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "not the folder of a finished run" in err
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(SystemExit) as exit_:
        main(["animate", str(tmp_path), "--take", "-1"])
    assert exit_.value.code == 2


def test_worst_takes_are_each_hazard_s_worst_that_happened(rome):
    chosen = worst_takes(rome)
    assert 1 <= len(chosen) <= 5
    for take, hazard in chosen:
        assert failed(rome.margins[hazard][take])
        assert rome.margins[hazard][take] == rome.margins[hazard].min()
    assert len({take for take, _ in chosen}) == len(chosen)
