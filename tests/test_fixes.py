"""Applying edits: back to front, never overlapping, the same as one at a time from the end."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcplint.diagnostics import Applicability, Edit, Fix
from mcplint.fixes import apply_edits, choose_compatible, edits_conflict
from mcplint.source import SourceFile


@st.composite
def text_and_edits(draw: st.DrawFn) -> tuple[SourceFile, list[Edit]]:
    text = draw(st.text(alphabet="abc\n ", max_size=40))
    source = SourceFile(Path("f"), text)
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=12)))
    edits = []
    # Pair consecutive cut points into disjoint ranges separated by at least one character.
    last_end = -1
    for start, end in zip(cuts[::2], cuts[1::2]):
        if start <= last_end:
            continue
        content = draw(st.text(alphabet="XYZ\n", max_size=5))
        if start == end and not content:
            continue
        edits.append(Edit(source, start, end, content))
        last_end = end
    return source, draw(st.permutations(edits))


@settings(max_examples=300, deadline=None)
@given(text_and_edits())
def test_applying_all_edits_equals_applying_them_one_by_one_from_the_end(case: tuple[SourceFile, list[Edit]]) -> None:
    source, edits = case
    expected = source.text
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        expected = expected[: edit.start] + edit.content + expected[edit.end :]
    assert apply_edits(source.text, edits) == expected


def test_overlapping_edits_are_refused() -> None:
    source = SourceFile(Path("f"), "abcdef")
    with pytest.raises(ValueError):
        apply_edits(source.text, [Edit(source, 0, 3, "x"), Edit(source, 2, 4, "y")])


def test_insertions_at_the_same_point_conflict() -> None:
    source = SourceFile(Path("f"), "abc")
    assert edits_conflict(Edit(source, 1, 1, "x"), Edit(source, 1, 1, "y"))
    assert edits_conflict(Edit(source, 1, 1, "x"), Edit(source, 0, 2, "y"))
    assert not edits_conflict(Edit(source, 0, 1, "x"), Edit(source, 1, 2, "y"))


def test_compatible_fixes_skip_a_colliding_one_and_keep_multi_file_fixes_whole() -> None:
    a = SourceFile(Path("a"), "0123456789")
    b = SourceFile(Path("b"), "0123456789")
    first = Fix("first", (Edit(a, 0, 2, "x"),), Applicability.SAFE)
    clash = Fix("clash", (Edit(a, 1, 3, "y"), Edit(b, 0, 1, "z")), Applicability.SAFE)
    later = Fix("later", (Edit(b, 0, 1, "w"),), Applicability.SAFE)
    chosen = choose_compatible([first, clash, later])
    assert [fix.title for fix in chosen] == ["first", "later"]


def test_applicability_is_ordered() -> None:
    assert Applicability.SAFE > Applicability.UNSAFE > Applicability.DISPLAY_ONLY
