"""Applying text edits: pure functions, no I/O.

Edits are located in the original text and never overlap, so applying them from the back to the
front never moves a position that has not been used yet. Fixes whose edits would collide with an
already chosen fix wait for the next pass of the fix loop, which re-lints the new text first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mcplint.diagnostics import Edit, Fix


def edits_conflict(a: Edit, b: Edit) -> bool:
    """Two edits of one file conflict when their ranges intersect or an insertion touches the other.

    Insertions at a boundary are treated as conflicts because their order would be a guess.
    """
    if a.source is not b.source:
        return False
    if a.start == a.end or b.start == b.end:
        return b.start <= a.start <= b.end or a.start <= b.start <= a.end
    return a.start < b.end and b.start < a.end


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits of one text, back to front."""
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end))
    for before, after in zip(ordered, ordered[1:]):
        if edits_conflict(before, after) or before.end > after.start:
            raise ValueError(f"overlapping edits at offsets {before.start} and {after.start}")
    for edit in reversed(ordered):
        text = text[: edit.start] + edit.content + text[edit.end :]
    return text


def choose_compatible(fixes: Iterable[Fix]) -> list[Fix]:
    """Pick fixes, in the order given, whose edits collide neither with each other nor with earlier picks.

    A fix with edits in several files is taken whole or not at all.
    """
    chosen: list[Fix] = []
    taken: list[Edit] = []
    for fix in fixes:
        own = list(fix.edits)
        if any(edits_conflict(x, y) for i, x in enumerate(own) for y in own[i + 1 :]):
            continue
        if any(edits_conflict(edit, other) for edit in own for other in taken):
            continue
        chosen.append(fix)
        taken.extend(own)
    return chosen


def edits_by_source(fixes: Iterable[Fix]) -> dict[int, tuple[object, list[Edit]]]:
    """Group the edits of fixes by the identity of the file they change: {id: (source, edits)}."""
    grouped: dict[int, tuple[object, list[Edit]]] = {}
    for fix in fixes:
        for edit in fix.edits:
            grouped.setdefault(id(edit.source), (edit.source, []))[1].append(edit)
    return grouped


def merge_touching(edits: Sequence[Edit]) -> list[Edit]:
    """Join the edits of one file where one starts at the other's end into a single edit.

    A fix whose own edits touch would conflict with itself (`edits_conflict` treats an insertion
    next to another edit as a conflict); joined, they say in which order the texts go: the order of
    the edits in the file, and for two insertions at one offset, the order given. The edits must not
    overlap. Each file's joined edits come out sorted by position.
    """
    merged: list[Edit] = []
    by_source: dict[int, list[Edit]] = {}
    for edit in edits:
        by_source.setdefault(id(edit.source), []).append(edit)
    for group in by_source.values():
        ordered = sorted(group, key=lambda edit: (edit.start, edit.end))
        current = ordered[0]
        for following in ordered[1:]:
            if following.start <= current.end:
                text = current.source.text
                current = Edit(
                    current.source,
                    current.start,
                    max(current.end, following.end),
                    current.content + text[current.end : following.start] + following.content,
                )
            else:
                merged.append(current)
                current = following
        merged.append(current)
    return merged
