"""Applying edits: back to front, never overlapping, the same as one at a time from the end."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcplint.diagnostics import Applicability, Edit, Fix
from mcplint.fixes import apply_edits, choose_compatible, edits_conflict, merge_touching
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


@st.composite
def touching_edits(draw: st.DrawFn, source: SourceFile) -> list[Edit]:
    """Edits of one file in file order that never overlap but may touch: an edit may start where the
    previous one ends, and several insertions may share an offset."""
    cuts = sorted(draw(st.lists(st.integers(0, len(source.text)), max_size=12)))
    edits = []
    last_end = 0
    for start, end in zip(cuts[::2], cuts[1::2]):
        if start < last_end:
            continue
        edits.append(Edit(source, start, end, draw(st.text(alphabet="XYZ", max_size=3))))
        last_end = end
    return edits


def _applied_one_by_one(text: str, edits: list[Edit]) -> str:
    """Each edit on its own, from the last to the first, so that no position moves before it is used;
    of insertions at one offset the first given ends up first."""
    for edit in reversed(sorted(edits, key=lambda e: (e.start, e.end))):
        text = text[: edit.start] + edit.content + text[edit.end :]
    return text


@settings(max_examples=200, deadline=None)
@given(st.data(), st.text(alphabet="ab\n", max_size=20), st.text(alphabet="cd", max_size=10))
def test_merging_touching_edits_keeps_their_result_and_removes_every_conflict(
    data: st.DataObject, first_text: str, second_text: str
) -> None:
    first, second = SourceFile(Path("first"), first_text), SourceFile(Path("second"), second_text)
    first_edits, second_edits = data.draw(touching_edits(first)), data.draw(touching_edits(second))
    mixed = data.draw(st.permutations(first_edits + second_edits))
    # Of insertions at one offset, the order given to merge_touching is the order expected.
    first_edits = [e for e in mixed if e.source is first]
    second_edits = [e for e in mixed if e.source is second]

    merged = merge_touching(mixed)

    assert not any(edits_conflict(x, y) for i, x in enumerate(merged) for y in merged[i + 1 :])
    for source, edits in ((first, first_edits), (second, second_edits)):
        own = [edit for edit in merged if edit.source is source]
        assert apply_edits(source.text, own) == _applied_one_by_one(source.text, edits)
        assert len(own) <= len(edits)


def test_an_insertion_before_a_replacement_becomes_one_edit() -> None:
    # CTX001's fix: `--from=<name> ` goes in front of the source it also rewrites.
    source = SourceFile(Path("Dockerfile"), "COPY ../lib/x ./x\n")
    insertion = Edit(source, 5, 5, "--from=lib ")
    replacement = Edit(source, 5, 13, "x")
    later = Edit(source, 14, 17, "/x")
    assert merge_touching([replacement, later, insertion]) == [
        Edit(source, 5, 13, "--from=lib x"),
        Edit(source, 14, 17, "/x"),
    ]
