"""Reading scenario files: YAML as plain data only (``yaml.SafeLoader``), bounded before
anything is built, duplicate keys refused, and validation errors turned into one line that
names the file, the field and what is wrong.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from stuntsim.errors import ScenarioError
from stuntsim.scenario.base import ScenarioBase, validate_scenario
from stuntsim.scenario.fields import MAX_FILE_BYTES, MAX_NESTING, MAX_TEXT, MAX_VALUES
from stuntsim.scenario.resolved import ResolvedScenario, resolve


def load_scenario(path: str | Path) -> ResolvedScenario:
    """Read, validate and resolve a scenario file.

    Raises
    ------
    ScenarioError  naming the file, the field and what is wrong; never another exception
                   for a bad file.
    """
    path = Path(path)
    source = str(path)
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError("no such file", source=source) from None
    except IsADirectoryError:
        raise ScenarioError("is a directory, not a scenario file", source=source) from None
    except OSError as err:
        raise ScenarioError(f"cannot read: {err.strerror}", source=source) from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError("not a text file (invalid UTF-8)", source=source) from None
    if "\x00" in text:
        raise ScenarioError("not a text file (contains NUL bytes)", source=source)
    scenario = parse_scenario(text, source=source)
    return resolve(scenario, source=source, sha256=hashlib.sha256(raw_bytes).hexdigest(),
                   text=text)


class _StrictSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping (PyYAML keeps the
    last one silently: a scenario must not say two things about one field)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the base class reports it
                break
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class InputLimitError(ValueError):
    """A scenario file beyond :data:`MAX_FILE_BYTES`, :data:`MAX_NESTING`,
    :data:`MAX_VALUES` or :data:`MAX_TEXT`."""


def _safe_load_strict(text: str) -> Any:
    """``yaml.safe_load`` (no Python tags, only plain data) that also refuses duplicate keys
    and files beyond the input limits (checked on the event stream and the node graph,
    before anything is built: no recursion, no alias expansion)."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise InputLimitError(f"the file is larger than {MAX_FILE_BYTES:,} bytes")
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise InputLimitError(f"mappings and lists nest deeper than {MAX_NESTING} "
                                      f"levels (line {event.start_mark.line + 1})")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_TEXT:
            raise InputLimitError(f"a value longer than {MAX_TEXT:,} characters "
                                  f"(line {event.start_mark.line + 1})")
    loader = _StrictSafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_VALUES:
            raise InputLimitError(f"the file expands to more than {MAX_VALUES:,} values "
                                  f"(YAML aliases repeat what they point to)")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(root: yaml.Node) -> int:
    """Values in the document once every alias is expanded (aliases share their node, so
    this counts each node once per reference, memoised: linear in the file's size)."""
    sizes: dict[int, int] = {}
    # iterative post-order walk (the nesting is bounded, but recursion is not needed)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = ([child for pair in node.value for child in pair]
                    if isinstance(node, yaml.MappingNode)
                    else node.value if isinstance(node, yaml.SequenceNode) else [])
        if done or not children:
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
            if sizes[id(node)] > MAX_VALUES:
                return sizes[id(node)]
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def parse_scenario(text: str, *, source: str = "<string>") -> ScenarioBase:
    try:
        data = _safe_load_strict(text)
    except InputLimitError as err:
        raise ScenarioError(str(err), source=source) from None
    except RecursionError:  # belt and braces: MAX_NESTING stops this first
        raise ScenarioError("the file nests too deeply to read", source=source) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "malformed YAML"
        raise ScenarioError(f"invalid YAML{where}: {problem}", source=source) from None
    if data is None:
        raise ScenarioError("the file is empty", source=source)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"a scenario is a mapping of keys (kind, vehicle, street, …), "
            f"got a {type(data).__name__}",
            source=source,
        )
    return validate_scenario(data, source)


