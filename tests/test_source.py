"""SourceFile: strict decoding, byte-exact round trips, offsets to lines and columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcplint.source import DecodeProblem, SourceFile, shown_path

PATH = Path("Dockerfile")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))))
def test_text_round_trips_byte_for_byte(text: str) -> None:
    data = text.encode("utf-8")
    source = SourceFile.from_bytes(PATH, data)
    assert isinstance(source, SourceFile)
    assert source.to_bytes() == data


def test_bom_is_kept_out_of_the_text_and_put_back() -> None:
    data = b"\xef\xbb\xbfFROM alpine\r\n"
    source = SourceFile.from_bytes(PATH, data)
    assert isinstance(source, SourceFile)
    assert source.has_bom and source.text == "FROM alpine\r\n"
    assert source.to_bytes() == data
    assert source.newline == "\r\n"


def test_invalid_utf8_reports_the_offending_line() -> None:
    problem = SourceFile.from_bytes(PATH, b"FROM alpine\nRUN echo \xff\n")
    assert isinstance(problem, DecodeProblem)
    assert "0xff" in problem.message
    assert problem.prefix.count("\n") + 1 == 2


def test_nul_byte_means_binary() -> None:
    problem = SourceFile.from_bytes(PATH, b"\x7fELF\x00\x01")
    assert isinstance(problem, DecodeProblem)
    assert "binary" in problem.message


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab \té", max_size=8), min_size=1, max_size=8), st.sampled_from(["\n", "\r\n"]), st.data())
def test_offsets_map_to_the_line_and_column_that_contain_them(lines: list[str], newline: str, data: st.DataObject) -> None:
    text = newline.join(lines)
    source = SourceFile(PATH, text)
    offset = data.draw(st.integers(0, len(text)))
    line, column = source.location(offset)
    # Count independently: the line is one more than the newlines before the offset.
    assert line == text[:offset].count("\n") + 1
    assert column == offset - (text.rfind("\n", 0, offset) + 1) + 1
    assert source.line_text(line) == lines[line - 1]


def test_line_end_excludes_the_line_break() -> None:
    source = SourceFile(PATH, "a\r\nbc\nd")
    assert [source.line_text(n) for n in (1, 2, 3)] == ["a", "bc", "d"]
    assert source.line_end(1, keep_newline=True) == 3


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/work/repo/compose.yaml", "compose.yaml"),
        ("/work/repo/a/../b/Dockerfile", "b/Dockerfile"),
        ("/work/repo", "."),
        ("/work/repository/compose.yaml", "/work/repository/compose.yaml"),  # a sibling sharing a prefix
        ("/work/other/compose.yaml", "/work/other/compose.yaml"),
    ],
)
def test_a_path_is_shown_relative_only_below_the_root(path: str, shown: str) -> None:
    assert shown_path(Path(path), Path("/work/repo")) == shown
