"""The library runs from every place a user calls it: a script with or without an
``if __name__ == "__main__":`` guard, ``python - < script.py``, ``python -c``, a notebook
kernel and the CLI (issue 13, "Running from scripts").

Spawned worker processes re-import the main module (Python's multiprocessing
documentation, "Safe importing of main module"); without a guard that re-runs the
script and the pool breaks. Each case runs in a fresh interpreter, as a user would.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# train_roof.yaml cut to a 1.2 km run (its header says how): ≈ 15× cheaper a take than the car
TRAIN = ROOT / "tests" / "fixtures" / "train_short.yaml"

# Two chunks of trivial work through the executor "auto" picks: the real pool, no model.
MAP_TWO_CHUNKS = """
import operator
import warnings
from stuntsim.parallel import make_executor, ProcessExecutor
executor = make_executor("auto", n_chunks=2)
print("process" if isinstance(executor, ProcessExecutor) else "serial")
print(list(executor.map(operator.add, 10, [1, 2])))
"""


def _python(args, *, cwd, stdin=None, timeout=120):
    return subprocess.run([sys.executable, *args], cwd=cwd, input=stdin, text=True,
                          capture_output=True, timeout=timeout)


def _cores() -> int:
    import os

    return os.cpu_count() or 1


needs_two_cores = pytest.mark.skipif(_cores() < 2, reason="auto is serial on one core anyway")


@needs_two_cores
def test_a_script_without_a_guard_runs_serially_and_says_why(tmp_path):
    script = tmp_path / "noguard.py"
    script.write_text(MAP_TWO_CHUNKS)
    done = _python([str(script)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["serial", "[11, 12]"]
    assert "running on one core" in done.stderr
    assert 'if __name__ == "__main__":' in done.stderr
    assert "Traceback" not in done.stderr


@needs_two_cores
def test_a_script_read_from_stdin_runs_serially(tmp_path):
    done = _python(["-"], cwd=tmp_path, stdin=MAP_TWO_CHUNKS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["serial", "[11, 12]"]
    assert "<stdin>" in done.stderr
    assert "Traceback" not in done.stderr


@needs_two_cores
def test_a_guarded_script_and_python_c_use_worker_processes(tmp_path):
    guarded = "def main():\n" + textwrap.indent(MAP_TWO_CHUNKS, "    ") + (
        '\n\nif __name__ == "__main__":\n    main()\n')
    script = tmp_path / "guarded.py"
    script.write_text(guarded)
    for args in ([str(script)], ["-c", MAP_TWO_CHUNKS]):
        done = _python(args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split("\n")[:2] == ["process", "[11, 12]"]
        assert "running on one core" not in done.stderr


def test_asking_for_processes_where_they_cannot_start_is_a_clear_error(tmp_path):
    script = tmp_path / "noguard.py"
    script.write_text(textwrap.dedent("""
        from stuntsim.errors import StuntsimError
        from stuntsim.parallel import make_executor
        try:
            make_executor("process")
        except StuntsimError as error:
            print("refused:", error)
    """))
    done = _python([str(script)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused: executor='process' cannot start worker processes")
    assert "executor='serial'" in done.stdout


def test_the_guard_is_recognised_only_around_the_call(tmp_path):
    # The AST reading behind the check: lines inside `if __name__ == "__main__":` (either
    # way round) count, a guard on another name or a nested one does not.
    from stuntsim.parallel import _guarded_lines

    source = tmp_path / "m.py"
    source.write_text(textwrap.dedent("""\
        import os
        if __name__ == "__main__":
            x = 1
            y = 2
        if "__main__" == __name__:
            z = 3
        if __name__ == "other":
            w = 4
        def f():
            if __name__ == "__main__":
                v = 5
    """))
    assert _guarded_lines(str(source)) == frozenset({3, 4, 6})


@pytest.mark.slow
@needs_two_cores
def test_run_from_an_unguarded_script_gives_the_serial_answer(tmp_path):
    # End to end: the same 4097 train takes (two seeding blocks, two chunks) from a script
    # without a guard (auto → serial, with the warning) and from a guarded one with worker
    # processes: identical margins, because draws depend only on the seed and the take.
    body = f"""
import hashlib
import stuntsim
resolved = stuntsim.load_scenario({str(TRAIN)!r})
result = stuntsim.run(resolved, samples=4097, seed=3, chunk_blocks=1, keep_trajectories=0,
                      executor=EXECUTOR)
digest = hashlib.sha256()
for name in sorted(result.margins):
    digest.update(result.margins[name].tobytes())
print(digest.hexdigest())
"""
    unguarded = tmp_path / "unguarded.py"
    unguarded.write_text(body.replace("EXECUTOR", '"auto"'))
    guarded = tmp_path / "guarded.py"
    guarded.write_text("def main():\n" + textwrap.indent(body.replace("EXECUTOR", '"process"'),
                                                          "    ")
                       + '\n\nif __name__ == "__main__":\n    main()\n')
    first = _python([str(unguarded)], cwd=tmp_path, timeout=300)
    second = _python([str(guarded)], cwd=tmp_path, timeout=300)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "running on one core" in first.stderr
    assert first.stdout.strip() == second.stdout.strip()
    # and `python -m stuntsim` starts its workers without a word
    cli = _python(["-m", "stuntsim", "run", str(TRAIN), "--samples", "4097", "--seed", "3",
                   "--no-plots", "--out", str(tmp_path / "out")], cwd=tmp_path, timeout=300)
    assert cli.returncode == 0, cli.stderr
    assert "running on one core" not in cli.stderr
    assert "Traceback" not in cli.stderr


@needs_two_cores
def test_a_notebook_kernel_uses_worker_processes():
    # A Jupyter kernel's main module has no file to re-import: workers start as from the CLI.
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(MAP_TWO_CHUNKS)]
    nbclient.NotebookClient(notebook, kernel_name="python3", timeout=120).execute()
    text = "".join(out.get("text", "") for out in notebook.cells[0].outputs)
    assert text.split("\n")[:2] == ["process", "[11, 12]"]


def test_the_command_line_starts_before_numpy_and_scipy_are_imported(tmp_path):
    # stuntsim/__init__.py loads its names on first use (PEP 562), so that the command
    # line can start the workers' server (stuntsim.parallel.warm_up) before it pays for
    # numpy, scipy, pint and pydantic itself; the names are all there when asked for.
    code = ("import sys, stuntsim.cli\n"
            "print(sorted(m for m in ('numpy', 'scipy', 'pint', 'pydantic') if m in sys.modules))\n"
            "import stuntsim\n"
            "missing = [name for name in stuntsim.__all__ if not hasattr(stuntsim, name)]\n"
            "print(missing, set(stuntsim.__all__) <= set(dir(stuntsim)))\n"
            "print(stuntsim.run.__module__, stuntsim.load_scenario.__module__)\n")
    ran = _python(["-c", code], cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.split("\n")
    assert lines[:3] == ["[]", "[] True", "stuntsim.runner stuntsim.scenario.loader"]
    # and a caller that imports only the scenario layer still knows every stunt kind
    # (stuntsim.scenario.base.scenario_kinds loads them by name)
    only = _python(["-c", "from stuntsim.scenario import load_scenario\n"
                          f"print(load_scenario({str(TRAIN)!r}).scenario.kind)"], cwd=tmp_path)
    assert only.returncode == 0, only.stderr
    assert only.stdout.strip() == "train"
    import stuntsim

    with pytest.raises(AttributeError, match="no attribute 'runn'"):
        stuntsim.runn  # noqa: B018 (a typo is an AttributeError, as for any module)


def test_warm_up_starts_the_forkserver_only_where_workers_can_run(monkeypatch):
    import multiprocessing.forkserver

    from stuntsim import parallel

    started = []
    monkeypatch.setattr(multiprocessing.forkserver, "ensure_running",
                        lambda: started.append(True))
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 1)
    parallel.warm_up()
    assert started == []  # one core: no workers, no server
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(parallel, "main_module_allows_workers", lambda: (False, "no guard"))
    parallel.warm_up()
    assert started == []  # a script that workers would re-run: no server either
    monkeypatch.setattr(parallel, "main_module_allows_workers", lambda: (True, ""))
    parallel.warm_up()
    expected = [True] if "forkserver" in multiprocessing.get_all_start_methods() else []
    assert started == expected
