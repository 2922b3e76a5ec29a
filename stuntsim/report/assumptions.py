"""Every value a scenario file sets, with the comment beside it: the report's assumptions.

Scenario files state each figure's source in a comment on its line (continued on the
comment-only lines below it) and mark what is assumed with the word "assumption" (see
``scenarios/*.yaml``). :func:`file_values` reads those lines back in file order, with the
dotted path of each value (list items by their ``name``), so the report can list every
value with its source, or mark it ASSUMED, or say that no source is given.

Why by hand: YAML parsers (PyYAML's ``safe_load`` included) drop comments; ruamel.yaml
keeps them but would be a dependency for this alone. The walker reads the block style the
scenario files use (``key: value  # comment``, ``- name: …`` items, nested mappings); a
value it cannot place (a flow mapping spread over lines) keeps the path of its key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FileValue", "file_values"]

_KEY = re.compile(r"^(?P<indent>\s*)(?P<dash>-\s+)?(?P<key>[^:#\[\]{}]+?):(?:\s+(?P<value>[^#]*?))?"
                  r"\s*(?:#\s?(?P<comment>.*))?$")
_COMMENT = re.compile(r"^(?P<indent>\s*)#\s?(?P<comment>.*)$")


@dataclass
class FileValue:
    path: str  # dotted, list items by name
    value: str  # as written
    comment: str  # the source or remark on its line and the comment lines below it

    @property
    def status(self) -> str:
        """"ASSUMED" (its comment calls it an assumption), "remark" (a source or a remark
        to read) or "no source given"."""
        if "assum" in self.comment.lower():
            return "ASSUMED"
        return "remark" if self.comment.strip() else "no source given"


@dataclass
class _Frame:
    indent: int
    part: str
    comment: str
    items: int = 0  # list items seen under this key (unnamed items go by index)


def file_values(text: str) -> list[FileValue]:
    """The values a scenario file sets, in file order (see the module docstring).

    A value without a comment of its own takes the comment of the nearest line above it
    that opens its group (``line:  # the rehearsed line…``, ``- name: parked car  # …``).
    """
    values: list[FileValue] = []
    stack: list[_Frame] = []
    last: FileValue | _Frame | None = None  # what a comment-only line continues
    last_indent = -1
    for line in text.splitlines():
        if not line.strip():
            continue
        comment_only = _COMMENT.match(line)
        if comment_only:
            if last is not None and len(comment_only["indent"]) > last_indent:
                last.comment = f"{last.comment} {comment_only['comment'].strip()}".strip()
            continue
        match = _KEY.match(line)
        if not match:
            continue
        indent = len(match["indent"])
        key, value = match["key"].strip(), (match["value"] or "").strip()
        comment = (match["comment"] or "").strip()
        if match["dash"]:  # a list item: "- name: X" names it, otherwise its index
            while stack and stack[-1].indent >= indent:
                stack.pop()
            parent = stack[-1] if stack else None
            index = parent.items if parent is not None else 0
            if parent is not None:
                parent.items += 1
            named = key == "name" and value
            frame = _Frame(indent, value if named else str(index), comment if named else "")
            stack.append(frame)
            indent += len(match["dash"])
            if named:
                last, last_indent = frame, indent
                continue
        while stack and stack[-1].indent >= indent:
            stack.pop()
        if value and value not in ("|", ">", "|-", ">-"):
            inherited = next((f.comment for f in reversed(stack) if f.comment), "")
            path = ".".join([frame.part for frame in stack] + [key])
            entry = FileValue(path, value, comment or inherited)
            values.append(entry)
            last, last_indent = entry, indent
        else:
            frame = _Frame(indent, key, comment)
            stack.append(frame)
            last, last_indent = frame, indent
    return values
