"""Keep the README true: every command it documents parses, and every example output it
shows is what that command prints today.

    python tools/readme_check.py --parse      # seconds: the documented commands parse
    python tools/readme_check.py --check      # minutes: run the marked commands, diff
    python tools/readme_check.py --write      # … and write the fresh outputs into the README
    python tools/readme_check.py --check --only envelope   # the blocks whose command has it

**Parse** (what ``tests/test_readme.py`` runs in CI): each ``stuntsim …`` command in a
fenced shell block, in a plain block, in a marker below, or as a complete inline code span
is accepted by the command line's own parser (every option exists, every value has its
type); every input file it names exists; an envelope's ``--param`` and ``--range``, a
``--hazard`` and compare's ``--only`` name what the scenario has. An inline span with
placeholders (``stuntsim run FILE --method subset``) is checked for its subcommand and
options only.

**Marked outputs.** An example output that a command prints is marked in the README::

    <!-- readme-output: stuntsim envelope scenarios/rome_sharp_turn.yaml --param … -->
    ```
    (what the command prints)
    ```
    <!-- /readme-output -->

``--check`` runs the command (as a user would: the ``stuntsim`` program, from a scratch
folder where the repository's files are linked, so nothing is written into the checkout)
and compares its standard output, without the closing ``wrote …`` line, with the block;
``--write`` puts the fresh output in. Only the text between the fences of a marked block is
ever changed: everything outside is left byte for byte (``replace_blocks``, tested), and
the README is re-read just before writing, so other edits made meanwhile are kept.

``<!-- readme-output abridged: COMMAND -->`` marks an excerpt: the block's lines are some of
the output's lines, in order (each found by its text with the numbers set aside, then
compared in full). A line that is only ``…`` (or starts with ``…``) stands for lines left
out; a line that ends in `` ...`` or `` …`` is an output line that the README cuts short.
``--write`` refreshes the numbers of the lines shown and keeps the selection; a line the
output no longer has is an error to fix by hand.

**What may differ.** The wall-clock time of a run and the plan's machine-dependent figures
(memory, its limit, the time estimate, the cores) are masked when comparing, and kept as
the README has them when writing; every probability, interval, count and margin is
compared exactly (the seed is fixed, so they are the same on every machine).

Run ``--check`` before a release and after any change to a model or a report; it takes a
few minutes on 2 cores (each marked command once).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

MARKER = re.compile(
    r"^<!-- readme-output(?P<abridged> abridged)?: (?P<command>.+?) -->[ \t]*\n"
    r"(?P<fence>(?P<ticks>`{3,}|~{3,})[^\n]*\n)"
    r"(?P<body>.*?)"
    r"^(?P=ticks)[ \t]*\n"
    r"<!-- /readme-output -->[ \t]*$",
    re.MULTILINE | re.DOTALL)
OPENING = re.compile(r"^<!-- readme-output( abridged)?: ", re.MULTILINE)

#: figures that differ between machines and runs; (pattern, groups that vary)
VOLATILE = [
    re.compile(r"method \w+, ([^;]+);"),  # a run's wall-clock time
    re.compile(r"memory about ([^,(]+?) \(limit ([^)]+)\), time at most about (.+?) on "
               r"(\d+) cores"),  # the plan: this machine's memory and cores
]
VARIES = "⟨varies⟩"
NUMBER = re.compile(r"(?<![\w.])[-+−]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:e[-+]?\d+)?(?!\w)")
ELLIPSIS = re.compile(r"^\s*(…|\.\.\.)")
CUT = re.compile(r"\s+(\.\.\.|…)$")
#: subcommands cheap enough to run in the test suite (seconds, no Monte Carlo run)
CHEAP = {"validate", "schema"}


# ---------------------------------------------------------------------- marked blocks
@dataclass(frozen=True)
class Block:
    command: str
    abridged: bool
    body: str
    start: int  # offsets of the body in the README's text
    end: int
    line: int

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.command)


def find_blocks(text: str) -> list[Block]:
    """The marked output blocks of ``text``, in order; a marker that does not close (or
    whose block is not a fenced block) is an error."""
    blocks = [Block(m["command"].strip(), bool(m["abridged"]), m["body"], m.start("body"),
                    m.end("body"), text.count("\n", 0, m.start()) + 1)
              for m in MARKER.finditer(text)]
    if len(blocks) != len(OPENING.findall(text)):
        found = {b.line for b in blocks}
        bad = [text.count("\n", 0, m.start()) + 1 for m in OPENING.finditer(text)]
        lines = [n for n in bad if n not in found]
        raise ValueError(f"README lines {lines}: a readme-output marker must be followed by a "
                         f"fenced block and <!-- /readme-output -->")
    return blocks


def replace_blocks(text: str, bodies: dict[int, str]) -> str:
    """``text`` with the bodies of the marked blocks numbered in ``bodies`` replaced; every
    character outside those bodies is kept as it is."""
    blocks = find_blocks(text)
    pieces, at = [], 0
    for index, block in enumerate(blocks):
        if index not in bodies:
            continue
        body = bodies[index]
        if body and not body.endswith("\n"):
            body += "\n"
        if re.search(r"^\s*(```|~~~)", body, re.MULTILINE):
            raise ValueError(f"README line {block.line}: an output with a fence line cannot "
                             f"go in a fenced block")
        pieces += [text[at:block.start], body]
        at = block.end
    pieces.append(text[at:])
    return "".join(pieces)


# ---------------------------------------------------------------------- outputs
def masked(line: str) -> str:
    """The line with what legitimately varies set aside."""
    for pattern in VOLATILE:
        match = pattern.search(line)
        if match:
            spans = [match.span(g) for g in range(1, pattern.groups + 1)]
            for start, stop in reversed(spans):
                line = line[:start] + VARIES + line[stop:]
    return line


def skeleton(line: str) -> str:
    """The line's words without its numbers or spacing: what finds it in another output."""
    return " ".join(NUMBER.sub("#", masked(line)).split())


def clean_output(stdout: str) -> list[str]:
    """A command's lines as the README shows them: trailing spaces, the closing ``wrote …``
    list of files and blank lines at the end left out."""
    lines = [line.rstrip() for line in stdout.splitlines()]
    while lines and (not lines[-1] or lines[-1].startswith("wrote ")):
        lines.pop()
    return lines


def regenerate(block: Block, output: list[str]) -> tuple[str, list[str]]:
    """The block's body made from ``output``, and the problems that stop it (lines of an
    excerpt the output no longer has). Lines equal but for what varies are kept as the
    README has them."""
    old = block.body.splitlines()
    if not block.abridged:
        new = [old[i] if i < len(old) and masked(old[i]) == masked(line) else line
               for i, line in enumerate(output)]
        return "".join(f"{line}\n" for line in new), []
    new, problems, at = [], [], 0
    for number, line in enumerate(old, start=block.line + 2):
        if ELLIPSIS.match(line):
            new.append(line)
            continue
        cut = CUT.search(line)
        wanted = {skeleton(line)} | ({skeleton(line[:cut.start()])} if cut else set())
        found = next((k for k in range(at, len(output)) if skeleton(output[k]) in wanted),
                     None)
        if found is None:
            problems.append(f"README line {number}: not in the output of `{block.command}` "
                            f"any more (its words changed, or lines moved): {line.strip()!r}")
            new.append(line)
            continue
        at = found + 1
        fresh = output[found] + (cut.group(0) if cut and skeleton(line) not in
                                 {skeleton(output[found])} else "")
        new.append(line if masked(line.rstrip()) == masked(fresh) else fresh)
    return "".join(f"{line}\n" for line in new), problems


def _program() -> list[str]:
    beside = Path(sys.executable).with_name("stuntsim")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "stuntsim.cli"]


def run_command(argv: list[str], timeout: float = 1800) -> list[str]:
    """What ``argv`` (``stuntsim …``) prints, run from a scratch folder in which the
    repository's top-level files and folders are linked (its outputs go there)."""
    if not argv or argv[0] != "stuntsim":
        raise ValueError(f"not a stuntsim command: {shlex.join(argv)}")
    with tempfile.TemporaryDirectory(prefix="readme-") as scratch:
        for entry in ROOT.iterdir():
            if entry.name not in ("out", ".git") and not entry.name.startswith(".venv"):
                os.symlink(entry, Path(scratch) / entry.name)
        env = {**os.environ, "MPLBACKEND": "Agg"}
        done = subprocess.run([*_program(), *argv[1:]], cwd=scratch, capture_output=True,
                              text=True, timeout=timeout, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"`{shlex.join(argv)}` exited with {done.returncode}:\n"
                           f"{done.stderr[-3000:]}")
    return clean_output(done.stdout)


# ---------------------------------------------------------------------- documented commands
@dataclass(frozen=True)
class Documented:
    argv: tuple[str, ...]
    line: int
    template: bool  # has placeholders (FILE, DIR, [--option]): only options are checked


PLACEHOLDER = re.compile(r"^\[?-*[A-Z][A-Z_0-9]*\]?$|[\[\]|…]")


def documented_commands(text: str) -> list[Documented]:
    """Every ``stuntsim …`` command the README shows, with its line."""
    found: list[Documented] = []
    lines = text.splitlines()
    outputs = {text.count("\n", 0, b.start) + 1 for b in find_blocks(text)}
    fence, lang, first = None, "", 0
    block: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if fence is None:
            opened = re.match(r"^(`{3,}|~{3,})\s*([\w+-]*)", stripped)
            if opened:
                fence, lang, first, block = opened.group(1), opened.group(2), number, []
            continue
        if stripped.startswith(fence):
            if first + 1 not in outputs:  # the body of a marked output is not commands
                found += _block_commands(block, lang)
            fence = None
            continue
        block.append((number, line))
    for match in re.finditer(r"^<!-- readme-output(?: abridged)?: (.+?) -->", text, re.M):
        found.append(Documented(tuple(shlex.split(match.group(1))),
                                text.count("\n", 0, match.start()) + 1, False))
    for match in re.finditer(r"(?<!`)`(stuntsim [^`]+)`(?!`)", text):
        span = " ".join(match.group(1).split())
        try:
            argv = shlex.split(span)
        except ValueError:
            continue
        template = any(PLACEHOLDER.search(token) for token in argv[1:])
        if template or len(argv) >= 3:
            found.append(Documented(tuple(argv), text.count("\n", 0, match.start()) + 1,
                                    template))
    return found


def _block_commands(block: list[tuple[int, str]], lang: str) -> list[Documented]:
    shell = lang in ("bash", "sh", "shell", "console", "zsh")
    if lang and not shell:
        return []
    found, pending, start = [], "", 0
    for number, line in block:
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical, pending = pending + line, ""
        logical = re.sub(r"^\s*\$\s+", "", logical)
        if not shell and logical.split()[:1] != ["stuntsim"]:
            continue  # a plain block: only lines that are stuntsim commands
        try:
            tokens = shlex.split(logical, comments=True)
        except ValueError:
            continue
        command: list[str] = []
        for token in [*tokens, "&&"]:
            if token in ("&&", "||", ";", "|"):
                if command[:1] == ["stuntsim"] and len(command) > 1:
                    found.append(Documented(tuple(command), start, False))
                command = []
            else:
                command.append(token)
    return found


def _parser():
    from stuntsim.cli import _parser as make

    return make()


def _subparsers(parser) -> dict:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def parse_problems(text: str) -> list[str]:
    """What is wrong with the commands the README documents (empty: nothing)."""
    parser = _parser()
    commands = _subparsers(parser)
    problems: list[str] = []
    scenarios: dict[Path, object] = {}
    documented = documented_commands(text)
    written = _written_folders(parser, documented)
    for doc in documented:
        where = f"README line {doc.line}: `{shlex.join(doc.argv)}`"
        sub = doc.argv[1] if len(doc.argv) > 1 else None
        if doc.template:
            if sub is not None and not PLACEHOLDER.search(sub) and sub not in commands:
                problems.append(f"{where}: no command {sub!r}")
                continue
            known = set(parser._option_string_actions)
            if sub in commands:
                known |= set(commands[sub]._option_string_actions)
            for token in doc.argv[1:]:
                flag = token.strip("[]").split("=")[0]
                if flag.startswith("--") and flag not in known:
                    problems.append(f"{where}: no option {flag}")
            continue
        errors = io.StringIO()
        try:
            with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
                args = parser.parse_args(list(doc.argv[1:]))
        except SystemExit:
            problems.append(f"{where}: {errors.getvalue().strip().splitlines()[-1]}")
            continue
        known = set(parser._option_string_actions) | set(
            commands[sub]._option_string_actions if sub in commands else ())
        problems += [f"{where}: {token} is not an option's full name"
                     for token in doc.argv[2:]
                     if token.startswith("--") and token.split("=")[0] not in known]
        problems += [f"{where}: {problem}"
                     for problem in _argument_problems(args, scenarios, written)]
    return problems


def _written_folders(parser, documented: list[Documented]) -> set[Path]:
    """The folders the documented commands write (``--out``, else ``out/<scenario>``): a
    later command may read one (``stuntsim report out/rome_sharp_turn``)."""
    folders = set()
    for doc in documented:
        if doc.template:
            continue
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                args = parser.parse_args(list(doc.argv[1:]))
        except SystemExit:
            continue
        scenario = getattr(args, "scenario", None) or (getattr(args, "scenarios", None)
                                                       or [None])[0]
        if getattr(args, "out", None) is not None:
            folders.add(Path(args.out))
        elif scenario is not None:
            folders.add(Path("out") / Path(scenario).stem)
    return folders


def _argument_problems(args, scenarios: dict, written: set[Path]) -> list[str]:
    """Files that do not exist (nor are written by a documented command); parameters,
    ranges, hazards and variants the scenario lacks."""
    problems = []
    inputs = []
    for dest, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        # folders a command writes (its output, a checkpoint) need not exist yet
        if dest not in ("out", "checkpoint") and values and all(
                isinstance(v, Path) for v in values):
            inputs += values
    for path in inputs:
        if not (ROOT / path).exists() and Path(path) not in written:
            problems.append(f"{path} does not exist")
    scenario_file = getattr(args, "scenario", None) or (getattr(args, "scenarios", None)
                                                        or [None])[0]
    if problems or scenario_file is None or not str(scenario_file).endswith((".yaml", ".yml")):
        return problems
    import stuntsim
    from stuntsim.kinds import kind_of
    from stuntsim.studies.envelope import parse_range

    if scenario_file not in scenarios:
        scenarios[scenario_file] = stuntsim.load_scenario(ROOT / scenario_file)
    resolved = scenarios[scenario_file]
    for param, text in ((getattr(args, "param", None), getattr(args, "value_range", None)),
                        (getattr(args, "param2", None), getattr(args, "value_range2", None))):
        if param is None:
            continue
        if param not in resolved.dimensions:
            problems.append(f"--param {param}: no numeric field of {scenario_file}")
        elif text is not None:
            try:
                parse_range(text, resolved.dimensions[param], getattr(args, "steps", 2))
            except ValueError as error:
                problems.append(f"--range {text!r}: {error}")
    hazard = getattr(args, "hazard", None)
    if hazard is not None and hazard != "any" and \
            hazard not in kind_of(resolved).all_hazards():
        problems.append(f"--hazard {hazard}: not a hazard of {scenario_file}'s kind")
    for name in getattr(args, "only", None) or []:
        if name not in resolved.scenario.variants:
            problems.append(f"--only {name!r}: no such variant in {scenario_file}")
    return problems


# ---------------------------------------------------------------------- main
def check_blocks(path: Path, only: list[str], write: bool, cheap_only: bool = False,
                 out=sys.stdout) -> int:
    text = path.read_text(encoding="utf-8")
    blocks = [b for b in find_blocks(text)
              if (not only or any(part in b.command for part in only))
              and (not cheap_only or (b.argv[1:2] and b.argv[1] in CHEAP))]
    outputs: dict[str, list[str]] = {}
    fresh: dict[tuple[str, str], str] = {}  # (command, body as read) → regenerated body
    failed = False
    for block in blocks:
        if block.command not in outputs:
            print(f"running: {block.command}", file=out, flush=True)
            outputs[block.command] = run_command(block.argv)
        body, problems = regenerate(block, outputs[block.command])
        for problem in problems:
            print(f"ERROR {problem}", file=out)
        failed |= bool(problems)
        if body != block.body:
            diff = difflib.unified_diff(block.body.splitlines(), body.splitlines(),
                                        f"README (line {block.line})", "now", lineterm="")
            print("\n".join(diff), file=out)
            fresh[(block.command, block.body)] = body
            failed |= not write
    if write and fresh:
        # re-read: another edit of the README since is kept; a block edited meanwhile is not
        # overwritten
        text = path.read_text(encoding="utf-8")
        bodies = {i: fresh[(b.command, b.body)] for i, b in enumerate(find_blocks(text))
                  if (b.command, b.body) in fresh}
        if len(bodies) < len(fresh):
            print("ERROR a block changed while its command ran; run --write again", file=out)
            failed = True
        updated = replace_blocks(text, bodies)
        scratch = path.with_name(f".{path.name}.readme-check")
        scratch.write_text(updated, encoding="utf-8")
        os.replace(scratch, path)
        print(f"wrote {len(bodies)} block(s) of {path}", file=out)
    if not failed:
        print(f"{len(blocks)} marked block(s) are what their commands print", file=out)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--parse", action="store_true",
                      help="only check that the documented commands parse (the default)")
    mode.add_argument("--check", action="store_true",
                      help="also run the marked commands and diff their outputs")
    mode.add_argument("--write", action="store_true",
                      help="run the marked commands and write their outputs into the README")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="only the marked blocks whose command contains TEXT")
    parser.add_argument("--readme", type=Path, default=README, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    problems = parse_problems(args.readme.read_text(encoding="utf-8"))
    for problem in problems:
        print(f"ERROR {problem}")
    code = 1 if problems else 0
    if not problems:
        print("every documented command parses")
    if args.check or args.write:
        code |= check_blocks(args.readme, args.only, write=args.write)
    return code


if __name__ == "__main__":
    sys.exit(main())
