"""The README stays true (tools/readme_check.py): every command it documents parses (its
options, files, parameters and hazards exist), its cheap example outputs are what the
commands print, and regenerating the marked outputs changes nothing outside them.

The expensive outputs (runs of thousands of takes: minutes on 2 cores) are checked by
``python tools/readme_check.py --check``, run by hand before a release and after a change to
a model or a report (README, "Tests")."""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("readme_check", ROOT / "tools" /
                                                  "readme_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["readme_check"] = module
    spec.loader.exec_module(module)
    return module


def _outside(tool, text: str) -> list[str]:
    """The text outside the marked blocks' bodies, piece by piece."""
    pieces, at = [], 0
    for block in tool.find_blocks(text):
        pieces.append(text[at:block.start])
        at = block.end
    return [*pieces, text[at:]]


# ------------------------------------------------------------------ commands
def test_every_command_the_readme_documents_parses(tool):
    assert tool.parse_problems(README.read_text(encoding="utf-8")) == []


def test_the_parse_check_finds_a_wrong_option_file_parameter_range_or_hazard(tool):
    text = "\n".join([
        "```bash",
        "stuntsim run scenarios/nowhere.yaml",
        "stuntsim run scenarios/rome_sharp_turn.yaml --sample 10",
        "stuntsim envelope scenarios/rome_sharp_turn.yaml --param maneuver.cornerspeed \\",
        "    --range '12 km/h:24 km/h' --target 0.1",
        "stuntsim envelope scenarios/rome_sharp_turn.yaml --param maneuver.corner_speed "
        "--range '12 kg:24 kg' --target 0.1",
        "stuntsim sensitivity scenarios/train_roof.yaml --hazard collision",
        "stuntsim compare scenarios/rome_sharp_turn.yaml --only 'no such variant'",
        "```",
        "Templates are checked for their options: `stuntsim run FILE --metod subset`.",
        "",
    ])
    problems = tool.parse_problems(text)
    assert len(problems) == 7, problems
    for expected in ("nowhere.yaml does not exist", "--sample is not an option's full name",
                     "maneuver.cornerspeed: no numeric field", "--range '12 kg:24 kg'",
                     "--hazard collision", "no such variant", "no option --metod"):
        assert any(expected in problem for problem in problems), (expected, problems)
    assert "README line 4" in next(p for p in problems if "cornerspeed" in p)


def test_every_marked_output_is_of_a_command_the_reader_is_shown(tool):
    text = README.read_text(encoding="utf-8")
    blocks = tool.find_blocks(text)
    assert len(blocks) >= 7
    markers = {block.line for block in blocks}
    shown = {doc.argv for doc in tool.documented_commands(text) if doc.line not in markers}
    for block in blocks:
        assert tuple(block.argv) in shown, block.command


# ------------------------------------------------------------------ outputs
def test_the_cheap_outputs_are_what_the_commands_print(tool):
    printed = io.StringIO()
    code = tool.check_blocks(README, only=[], write=False, cheap_only=True, out=printed)
    assert code == 0, printed.getvalue()
    assert "running: stuntsim validate" in printed.getvalue()


def test_write_refreshes_a_stale_block_and_changes_nothing_else(tool, tmp_path):
    text = README.read_text(encoding="utf-8")
    blocks = tool.find_blocks(text)
    index = next(i for i, b in enumerate(blocks) if b.argv[1:2] == ["validate"])
    stale_body = re.sub(r"(\d+) uncertain", lambda m: f"{int(m[1]) + 1} uncertain",
                        blocks[index].body)
    assert stale_body != blocks[index].body
    copy = tmp_path / "README.md"
    copy.write_text(tool.replace_blocks(text, {index: stale_body}), encoding="utf-8")
    printed = io.StringIO()
    assert tool.check_blocks(copy, only=["validate"], write=False, out=printed) == 1
    assert "uncertain parameters" in printed.getvalue()  # the diff shows the line
    assert tool.check_blocks(copy, only=["validate"], write=True, out=io.StringIO()) == 0
    assert copy.read_text(encoding="utf-8") == text


def test_abridged_blocks_keep_their_selection_and_refresh_their_numbers(tool):
    body = ("Stunt\n"
            "100 takes, seed 1, method mc, 9.1 s; 100 of 100 got through\n"
            "collision    0.101  [0.0943, 0.108]\n"
            "  … (the other hazards)\n"
            "NOT met  a rule: door camera (33.9°) ...\n"
            "over 5 takes: P(any hazard) = 0.440\n")
    block = tool.Block("stuntsim run x.yaml", True, body, 0, len(body), 10)
    output = ["Stunt",
              "100 takes, seed 1, method mc, 14.2 s; 100 of 100 got through",
              "",
              "collision    0.0990  [0.0921, 0.106]",
              "rollover         0  [0, 0.03]",
              "NOT met  a rule: door camera (31.0°)",
              "         which goes on here",
              "over 5 takes: P(any hazard) = 0.430",
              "wrote out/x/summary.json"]
    fresh, problems = tool.regenerate(block, tool.clean_output("\n".join(output)))
    assert problems == []
    assert fresh == ("Stunt\n"
                     "100 takes, seed 1, method mc, 9.1 s; 100 of 100 got through\n"  # kept
                     "collision    0.0990  [0.0921, 0.106]\n"
                     "  … (the other hazards)\n"
                     "NOT met  a rule: door camera (31.0°) ...\n"
                     "over 5 takes: P(any hazard) = 0.430\n")
    gone = tool.Block("stuntsim run x.yaml", True, "tipped  0.2\n", 0, 12, 10)
    _, problems = tool.regenerate(gone, output)
    assert problems == ["README line 12: not in the output of `stuntsim run x.yaml` any more "
                        "(its words changed, or lines moved): 'tipped  0.2'"]


def test_a_whole_block_is_the_whole_output_but_the_files_written(tool):
    body = ("plan: memory about 400 MB (limit 99 GB), time at most about 12 s on 2 cores\n"
            "old line\n")
    block = tool.Block("stuntsim validate x.yaml", False, body, 0, len(body), 1)
    output = tool.clean_output(
        "plan: memory about 468 MB (limit 12.6 GB), time at most about 9 s on 4 cores\n"
        "new line   \nanother\n\nwrote out/x/a.json, out/x/b.png\n")
    fresh, problems = tool.regenerate(block, output)
    assert problems == []
    assert fresh == ("plan: memory about 400 MB (limit 99 GB), time at most about 12 s on "
                     "2 cores\nnew line\nanother\n")  # what varies by machine is kept


# ------------------------------------------------------------------ the rest is untouched
def test_replacing_the_readmes_blocks_changes_nothing_outside_them(tool):
    text = README.read_text(encoding="utf-8")
    blocks = tool.find_blocks(text)
    same = {i: block.body for i, block in enumerate(blocks)}
    assert tool.replace_blocks(text, same) == text
    other = {i: f"block {i}\nrewritten\n" for i in range(len(blocks))}
    rewritten = tool.replace_blocks(text, other)
    assert _outside(tool, rewritten) == _outside(tool, text)
    assert [b.body for b in tool.find_blocks(rewritten)] == list(other.values())
    one = tool.replace_blocks(text, {1: "only this\n"})
    assert [b.body for b in tool.find_blocks(one)] == [
        "only this\n" if i == 1 else b.body for i, b in enumerate(blocks)]
    with pytest.raises(ValueError, match="fence"):
        tool.replace_blocks(text, {0: "```\n"})


prose = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="`<\r"),
                max_size=60)
bodies = st.lists(st.text(st.characters(blacklist_categories=("Cs",),
                                        blacklist_characters="`~\r"), max_size=40)
                  .map(lambda s: s + "\n"), min_size=0, max_size=3).map("".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(prose, bodies, bodies), min_size=1, max_size=4), prose)
def test_block_replacement_leaves_every_byte_outside_the_blocks(tool, parts, tail):
    text = "".join(f"{before}\n<!-- readme-output: stuntsim validate x.yaml -->\n```\n{old}"
                   f"```\n<!-- /readme-output -->\n" for before, old, _ in parts) + tail
    blocks = tool.find_blocks(text)
    assert [b.body for b in blocks] == [old for _, old, _ in parts]
    new = tool.replace_blocks(text, {i: fresh for i, (_, _, fresh) in enumerate(parts)})
    assert _outside(tool, new) == _outside(tool, text)
    assert [b.body for b in tool.find_blocks(new)] == [fresh for _, _, fresh in parts]


def test_a_marker_without_its_block_is_an_error(tool):
    with pytest.raises(ValueError, match="README lines \\[2\\]"):
        tool.find_blocks("text\n<!-- readme-output: stuntsim validate x.yaml -->\nno block\n")
