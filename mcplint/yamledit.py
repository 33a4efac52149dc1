"""Text edits that add keys to a YAML mapping the way a person would, never by re-dumping the document.

The new lines copy the file's own indentation unit and line ending; comments, quoting and the order
of everything else stay exactly as written. Flow mappings (`{a: 1}`) get the key inside the braces.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from mcplint.diagnostics import Edit
from mcplint.models.yamlsrc import YMap, YNode, YSeq
from mcplint.source import SourceFile

_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./:@+=-]*")
_RESERVED_PLAIN = {"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"}


def render_scalar(value: Any) -> str:
    """A scalar as YAML text that go-yaml reads back as the same string, number or boolean."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if _PLAIN_SAFE.fullmatch(text) and text.lower() not in _RESERVED_PLAIN and not _looks_numeric(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return bool(re.fullmatch(r"0[xob][0-9a-fA-F_]+|[0-9]+(:[0-9]+)+", text))
    return True


def render_block(value: Any, indent: int, unit: int, newline: str) -> str:
    """Block-style YAML for a value nested under a key, each line starting with `indent` spaces."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:{newline}{render_block(item, indent + unit, unit, newline)}")
            else:
                lines.append(f"{pad}{key}: {render_inline(item)}")
        return newline.join(lines)
    if isinstance(value, list):
        return newline.join(f"{pad}- {render_inline(item)}" for item in value)
    return pad + render_scalar(value)


def render_inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {render_inline(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(render_inline(item) for item in value) + "]"
    return render_scalar(value)


def indentation_unit(source: SourceFile, mapping: YMap, parent_key_start: int | None) -> int:
    """The file's indentation step, judged from a mapping and the key that holds it."""
    if parent_key_start is not None and not mapping.flow:
        step = block_column(source, mapping) - _column(source, parent_key_start)
        if step > 0:
            return step
    for match in re.finditer(r"^( +)\S", source.text, re.M):
        return len(match.group(1))
    return 2


def block_column(source: SourceFile, mapping: YMap) -> int:
    """The column of a block mapping's keys (merge keys included).

    Its span starts at its first key, or at an anchor or tag written after the parent key
    (`api: &api`): then the keys are on the following lines.
    """
    if source.text.startswith(("&", "!"), mapping.start):
        for number in range(source.line_of(mapping.start) + 1, source.line_count + 1):
            text = source.line_text(number)
            if text.strip() and not text.lstrip().startswith("#"):
                return len(text) - len(text.lstrip())
    return _column(source, mapping.start)


def _column(source: SourceFile, offset: int) -> int:
    return offset - source.line_start(source.line_of(offset))


def insert_path(
    source: SourceFile,
    mapping: YMap,
    keys: Sequence[str],
    value: Any,
    *,
    parent_key_start: int | None = None,
) -> Edit | None:
    """An edit that sets `keys` (a path below `mapping`) to `value`, creating the missing levels.

    Returns None when the path is blocked by something that is not a mapping (then there is no
    mechanical fix) or when the value is already there.
    """
    current, current_key, depth = mapping, parent_key_start, 0
    while depth < len(keys):
        node = current.get(keys[depth])
        if node is None:
            break
        if not isinstance(node, YMap) or not (current.start <= current.key_node(keys[depth]).start < current.end):
            return None
        current_key = current.key_node(keys[depth]).start
        current = node
        depth += 1
    if depth == len(keys):
        return None
    remaining: Any = value
    for key in reversed(keys[depth + 1 :]):
        remaining = {key: remaining}
    new_key = keys[depth]
    newline = source.newline
    if current.flow:
        return _insert_flow(source, current, new_key, remaining)
    unit = indentation_unit(source, current, current_key)
    column = block_column(source, current)
    anchor = _end_of_node(source, current)
    if isinstance(remaining, (dict, list)) and remaining:
        body = f"{' ' * column}{new_key}:{newline}{render_block(remaining, column + unit, unit, newline)}"
    else:
        body = f"{' ' * column}{new_key}: {render_inline(remaining)}"
    return Edit.insert(source, anchor, newline + body)


def _end_of_node(source: SourceFile, node: YNode) -> int:
    """Where to append after a node: the end of its last line, before the line break.

    A mapping's span ends with its last content as written here (merge keys and aliases included,
    trailing comments excluded); block scalars end after their trailing newline, so step back over it.
    """
    end = node.end
    text = source.text
    while end > node.start and text[end - 1] in "\r\n":
        end -= 1
    return source.line_end(source.line_of(end))


def _insert_flow(source: SourceFile, mapping: YMap, key: str, value: Any) -> Edit:
    close = source.text.rfind("}", mapping.start, mapping.end)
    inner = source.text[mapping.start + 1 : close].strip()
    separator = ", " if inner else ""
    return Edit.insert(source, close, f"{separator}{key}: {render_inline(value)}")


def sequence_append(source: SourceFile, sequence: YSeq, value: Any) -> Edit | None:
    """Append an item to a block or flow sequence."""
    if sequence.flow:
        close = source.text.rfind("]", sequence.start, sequence.end)
        inner = source.text[sequence.start + 1 : close].strip()
        return Edit.insert(source, close, (", " if inner else "") + render_inline(value))
    if not sequence.items:
        return None
    first = sequence.items[0]
    if not sequence.start <= first.start < sequence.end:
        return None  # the first item is an alias to a node written elsewhere: no column to copy
    line_start = source.line_start(source.line_of(first.start))
    dash = source.text.rfind("-", line_start, first.start)
    column = dash - line_start if dash >= 0 else _column(source, first.start) - 2
    return Edit.insert(source, _end_of_node(source, sequence), f"{source.newline}{' ' * column}- {render_inline(value)}")
