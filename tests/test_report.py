"""report.html: one self-contained page, rebuilt from the folder, read in a real browser.

The browser checks run headless Chromium (Debian's `chromium`, which .ci/run installs);
where it is absent they say so and are skipped.
"""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from stuntsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "scenarios" / "train_roof.yaml"
BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser",
                                                 "google-chrome") if shutil.which(name)), None)
needs_browser = pytest.mark.skipif(
    BROWSER is None, reason="headless Chromium is not installed (apt-get install chromium); "
    "CI installs it")


class _Page(HTMLParser):
    """Every tag's attributes, to check what the page would fetch."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def train_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("train_report")
    assert main(["run", str(TRAIN), "--samples", "800", "--quiet", "--out", str(out)]) == 0
    assert main(["compare", str(TRAIN), "--samples", "400", "--out", str(out)]) == 0
    return out


def test_the_report_is_one_self_contained_file(train_folder):
    text = (train_folder / "report.html").read_text()
    page = _Page()
    page.feed(text)
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    animations = list(train_folder.glob("*.gif"))  # worst_takes.gif, embedded too
    assert [path.name for path in animations] == ["worst_takes.gif"]
    assert len(images) == len(list(train_folder.glob("*.png"))) - 1 + 1  # all but comparison
    assert all(attrs["src"].startswith(("data:image/png;base64,", "data:image/gif;base64,"))
               for attrs in images)
    for tag, attrs in page.tags:  # nothing fetched from anywhere
        assert tag != "link"
        assert not (tag == "script" and "src" in attrs)
        for value in attrs.values():
            assert not (value or "").startswith(("http:", "https:", "//", "file:"))
    for section in ("The stunt and its verdict", "Hazards", "Risk matrix", "Harm",
                    "Mitigations compared", "What drives the risk",
                    "Every value of the scenario", "Warnings", "Reproducibility"):
        assert section in text, section
    assert "ASSUMED" in text  # the train file marks its assumed lengths and clearances
    assert "stuntsim run" in text  # the command that made it


def test_report_rebuilds_the_page_from_the_folder_with_the_studies(train_folder, capsys):
    written = (train_folder / "report.html").read_text()
    assert "No comparison in this folder" in written  # the run came before the compare
    assert main(["report", str(train_folder)]) == 0
    rebuilt = (train_folder / "report.html").read_text()
    assert "No comparison in this folder" not in rebuilt
    assert "(baseline)" in rebuilt
    assert rebuilt.count("data:image/png;base64,") == len(list(train_folder.glob("*.png")))
    assert rebuilt.count("data:image/gif;base64,") == 1  # worst_takes.gif


def test_names_from_the_scenario_are_escaped(tmp_path):
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(TRAIN.read_text().replace(
        "name: Train roof fight", "name: <script>alert(1)</script> Train roof fight", 1))
    out = tmp_path / "out"
    assert main(["run", str(hostile), "--samples", "300", "--quiet", "--no-plots",
                 "--out", str(out)]) == 0
    text = (out / "report.html").read_text()
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_report_of_a_folder_without_a_run_is_refused(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no summary.json here" in capsys.readouterr().err


def _chromium(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--enable-logging=stderr", "--v=0", *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


@needs_browser
def test_the_report_loads_in_chromium_with_every_figure_visible(train_folder, tmp_path):
    page = (train_folder / "report.html").resolve().as_uri()
    dom = _chromium("--virtual-time-budget=5000", "--dump-dom", page)
    assert dom.returncode == 0, dom.stderr[-2000:]
    body = dom.stdout[dom.stdout.index("<body"):dom.stdout.index(">", dom.stdout.index("<body"))]
    images = (train_folder / "report.html").read_text().count("<img ")
    assert f'data-figures-visible="{images}/{images}"' in body, body
    assert 'data-errors="0"' in body
    assert "CONSOLE" not in dom.stderr  # the page logs nothing: no warnings, no errors

    shot = tmp_path / "shot.png"
    done = _chromium("--window-size=1200,1600", f"--screenshot={shot}", page)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists()
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)[:, :, :3]
    assert pixels.std() > 0.05  # not blank: text, tables and figures
    assert (pixels < 0.5).mean() > 0.01  # dark ink somewhere

    pdf = tmp_path / "report.pdf"
    done = _chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page)
    assert done.returncode == 0, done.stderr[-2000:]
    assert pdf.exists()
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 3  # it paginates


@pytest.mark.parametrize(("fmt", "magic", "embedded"), [
    ("svg", b"<?xml", "data:image/svg+xml;base64,"),
    ("pdf", b"%PDF", "data:image/png;base64,"),
])
def test_figures_in_svg_or_pdf_on_request(fmt, magic, embedded, tmp_path):
    out = tmp_path / fmt
    assert main(["run", str(TRAIN), "--samples", "300", "--quiet", "--format", fmt,
                 "--out", str(out)]) == 0
    files = sorted(out.glob(f"*.{fmt}"))
    assert files
    assert not list(out.glob("*.png"))
    assert all(path.read_bytes().startswith(magic) for path in files)
    text = (out / "report.html").read_text()
    assert text.count(embedded) == len(files)  # each figure still in the report
    assert main(["report", str(out)]) == 0  # and rebuilt from the folder
    rebuilt = (out / "report.html").read_text()
    animation = 1  # worst_takes.gif, a GIF whatever the figures' format
    if fmt == "svg":
        assert rebuilt.count("<img ") == len(files) + animation
    else:  # a PDF cannot be embedded: the page names the files instead
        assert rebuilt.count("<img ") == animation
        assert all(path.name in rebuilt for path in files)
