"""Properties of the whole fix loop on generated files: idempotent, and never breaks a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcplint.config import ConfigResolver, Overrides
from mcplint.diagnostics import Applicability
from mcplint.discovery import discover
from mcplint.engine import fix, problem_count, write_changes
from mcplint.source import SourceFile
from mcplint.workspace import Workspace

IMAGES = ["alpine:3.20", "node:18-alpine", "python:3.12-slim", "postgres:15-alpine", "scratch"]


@st.composite
def dockerfiles(draw: st.DrawFn) -> str:
    lines = []
    for index in range(draw(st.integers(1, 4))):
        keyword = draw(st.sampled_from(["FROM", "from"]))
        as_word = draw(st.sampled_from(["as", "AS", "As", None]))
        line = f"{keyword} {draw(st.sampled_from(IMAGES))}"
        if as_word:
            line += draw(st.sampled_from([" ", " \\\n  "])) + f"{as_word} stage{index}"
        lines.append(line)
        for _ in range(draw(st.integers(0, 3))):
            lines.append(
                draw(
                    st.sampled_from(
                        [
                            "RUN echo hi",
                            "RUN apk add --no-cache curl \\\n    && echo done",
                            "# a comment",
                            "# mcplint: ignore[DF001]",
                            "# mcplint: ignore[NOPE001, DF001]",
                            "COPY . /app",
                            "RUN <<EOF\necho heredoc\nEOF",
                            "",
                        ]
                    )
                )
            )
    return "\n".join(lines)


@st.composite
def compose_files(draw: st.DrawFn) -> str:
    indent = " " * draw(st.sampled_from([2, 4]))
    lines = ["# generated", "services:"]
    for index in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            lines.append(f"{indent}s{index}: {{image: alpine:3.20}}")
            continue
        suppress = draw(st.sampled_from(["", "  # mcplint: ignore[RES001]", "  # mcplint: ignore[MC001]"]))
        lines.append(f"{indent}s{index}:{suppress}")
        lines.append(f"{indent * 2}image: {draw(st.sampled_from(IMAGES))}  # the image")
        if draw(st.booleans()):
            lines.append(f"{indent * 2}mem_limit: {draw(st.sampled_from(['0', '256m', '1g']))}")
        if draw(st.booleans()):
            lines += [f"{indent * 2}command: |", f"{indent * 3}echo one", f"{indent * 3}echo two"]
        if draw(st.booleans()):
            lines += [f"{indent * 2}deploy:", f"{indent * 3}replicas: 1"]
    return "\n".join(lines)


def shape(text: str, crlf: bool, final_newline: bool) -> bytes:
    if final_newline:
        text += "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    return text.encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles(), compose_files(), st.booleans(), st.booleans())
def test_fixing_is_idempotent_and_never_breaks_a_file(dockerfile: str, compose: str, crlf: bool, final_newline: bool) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        (root / "Dockerfile").write_bytes(shape(dockerfile, crlf, final_newline))
        (root / "compose.yaml").write_bytes(shape(compose, crlf, final_newline))
        before = {name: SourceFile.from_bytes(root / name, (root / name).read_bytes()) for name in ("Dockerfile", "compose.yaml")}
        resolver = ConfigResolver(overrides=Overrides(select=("ALL",)), isolated=True)
        cwd = os.getcwd()
        os.chdir(root)
        try:
            first = fix(discover([root], resolver), resolver, Applicability.UNSAFE)
            assert not first.internal_errors, first.internal_errors
            for path, after in first.changed.items():
                original = before[path.name]
                assert problem_count(Workspace(), after) <= problem_count(Workspace(), original)
                # Line endings are kept: no LF-only line appears in a CRLF file.
                # (A one-line file without a line break has no line-ending style to keep.)
                if crlf and "\n" in original.text:
                    assert after.text.count("\n") == after.text.count("\r\n")
            write_changes(first.changed)
            second = fix(discover([root], resolver), resolver, Applicability.UNSAFE)
            assert second.changed == {}, "a second --fix changed the files again"
        finally:
            os.chdir(cwd)
