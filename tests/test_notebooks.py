"""The notebooks: each one runs top to bottom, and each is committed without outputs.

Execution uses a small sample count (``STUNTSIM_NOTEBOOK_SAMPLES``), the ``python3`` kernel
of this environment (ipykernel) and ``notebooks/`` as the working directory, so the
notebooks' relative paths (``../scenarios/...``) resolve as they do for a reader.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
SMALL_SAMPLES = "300"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
CELL_TIMEOUT = 600  # [s] per cell; the whole Rome notebook takes about a minute at 300


def _ids(paths):
    return [path.name for path in paths]


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_without_error(path, monkeypatch):
    # The kernel inherits this environment: a small run, and a non-GUI matplotlib backend
    # even for a notebook that forgets `%matplotlib inline`. (nbclient 0.11, jupyter_core
    # 5.9 and ipykernel 7.4 emit no warnings here, so none are filtered.)
    monkeypatch.setenv("STUNTSIM_NOTEBOOK_SAMPLES", SMALL_SAMPLES)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        failure = ANSI_ESCAPE.sub("", str(error))  # IPython colours its tracebacks
    else:
        return
    pytest.fail(f"{path.name}: a cell raised\n{failure}", pytrace=False)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} have outputs or execution counts; clear them "
        "before committing (in Jupyter: Edit > Clear Outputs of All Cells, then save)"
    )
    assert '"output_type"' not in path.read_text(encoding="utf-8")
