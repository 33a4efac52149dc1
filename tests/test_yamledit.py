"""Keys inserted into YAML as text: the result, read back by a YAML parser, has the key in the
mapping meant and nothing else moved."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from mcplint.fixes import apply_edits
from mcplint.models.yamlsrc import YMap, load_documents
from mcplint.source import SourceFile
from mcplint.yamledit import insert_path


def _read(text: str) -> object:
    return YAML(typ="safe", pure=True).load(text)


def _mapping_at(root: YMap, path: tuple[str | int, ...]) -> YMap:
    node: object = root
    for part in path:
        node = node.items[part] if isinstance(part, int) else node.get(part)  # type: ignore[union-attr]
    assert isinstance(node, YMap)
    return node


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("top:\n  a: 1\nnext: 2\n", ("top",)),
        ("items:\n  - a: 1\n  - c: 2\n", ("items", 0)),  # a mapping that is a list item
        ("items:\n- a: 1\n  z: 0\n- c: 2\n", ("items", 0)),
        ("base: &base\n  a: 1\nother: *base\n", ("base",)),  # keys on the lines after an anchor
        ("tagged: !!map\n  a: 1\n", ("tagged",)),
    ],
)
def test_an_inserted_key_lands_in_its_mapping(text: str, path: tuple[str | int, ...]) -> None:
    source = SourceFile(Path("compose.yaml"), text)
    (root,), errors = load_documents(text)
    assert errors == [] and isinstance(root, YMap)
    edit = insert_path(source, _mapping_at(root, path), ["b"], 1)
    assert edit is not None
    fixed = apply_edits(text, [edit])
    expected = _read(text)
    target = expected
    for part in path:
        target = target[part]
    target["b"] = 1
    assert _read(fixed) == expected, fixed
