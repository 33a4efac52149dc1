"""The Dockerfile model against BuildKit's own parser, and its stage, ARG and span facts."""

from __future__ import annotations

import re
from pathlib import Path

import dockerfile as buildkit
import pytest

from mcplint.discovery import dockerfile_kind
from mcplint.models.dockerfile import parse_dockerfile
from mcplint.source import SourceFile

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def corpus_dockerfiles() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and dockerfile_kind(p.name))


def _join_as_buildkit(raw: str, escape: str) -> str:
    """Independent re-statement of BuildKit's continuation rule, to read a multi-line span back."""
    lines = raw.split("\n")
    out = []
    for index, line in enumerate(lines):
        line = line.rstrip("\r")
        if index and (not line.strip() or line.lstrip().startswith("#")):
            continue
        match = re.search(re.escape(escape) + r"[ \t]*$", line)
        out.append(line[: match.start()] if match and index < len(lines) - 1 else line)
    return "".join(out)


def model(text: str, name: str = "Dockerfile"):
    return parse_dockerfile(SourceFile(Path(name), text))


@pytest.mark.corpus
def test_spans_agree_with_buildkit_on_every_corpus_dockerfile() -> None:
    files = corpus_dockerfiles()
    if not files:
        pytest.skip("../shared/corpus is absent: the differential test needs the real Dockerfiles")
    checked = 0
    for path in files:
        source = SourceFile.from_bytes(path, path.read_bytes())
        assert isinstance(source, SourceFile), path
        ours = parse_dockerfile(source)
        try:
            theirs = buildkit.parse_string(source.text)
        except buildkit.GoParseError:
            assert ours.problems, f"{path}: BuildKit refuses it, we must report a problem"
            continue
        assert len(ours.instructions) == len(theirs), path
        for mine, command in zip(ours.instructions, theirs):
            assert (mine.start_line, mine.end_line) == (command.start_line, command.end_line), path
            keyword = source.text[mine.keyword_word.start : mine.keyword_word.end]
            assert keyword.upper() == command.cmd.upper(), (path, mine.start_line)
            args = mine.trigger.args if mine.trigger else mine.args
            expected_values = [v for v in command.value if v]
            assert [a.value for a in args] == expected_values, (path, mine.start_line)
            if not command.json:
                for arg in args:
                    written = _join_as_buildkit(source.text[arg.start : arg.end], ours.escape)
                    assert written == arg.value, (path, mine.start_line, written, arg.value)
            flags = mine.trigger.flags if mine.trigger else mine.flags
            for flag, raw in zip(flags, command.flags):
                assert source.text[flag.start : flag.end] == raw, (path, mine.start_line)
            for heredoc, theirs_doc in zip(mine.heredocs, command.heredocs):
                assert source.text[heredoc.start : heredoc.end] == theirs_doc.content, (path, mine.start_line)
            checked += 1
    assert checked > 1000  # the corpus has 136 Dockerfiles with thousands of instructions


def test_heredoc_bodies_are_located() -> None:
    text = "FROM alpine\nRUN <<EOF bash\napk add curl\necho hi\nEOF\nCOPY <<A <<B /dst/\none\nA\ntwo\nB\n"
    df = model(text)
    run, copy = df.instructions[1], df.instructions[2]
    assert [text[h.start : h.end] for h in run.heredocs] == ["apk add curl\necho hi\n"]
    assert [text[h.start : h.end] for h in copy.heredocs] == ["one\n", "two\n"]
    assert not df.problems


def test_directives_comments_and_escape() -> None:
    text = "# syntax=docker/dockerfile:1\n# escape=`\n\n# a comment\nFROM alpine\nRUN echo `\n  hi\n"
    df = model(text)
    assert [(d.name, d.value) for d in df.directives] == [("syntax", "docker/dockerfile:1"), ("escape", "`")]
    assert df.escape == "`"
    assert df.instructions[1].args[0].value == "echo   hi"
    assert [c.text for c in df.comments] == ["syntax=docker/dockerfile:1", "escape=`", "a comment"]


def test_directive_after_a_comment_is_only_a_comment() -> None:
    df = model("# hello\n# escape=`\nFROM alpine\n")
    assert df.directives == () and df.escape == "\\"


def test_stages_names_and_final_stage() -> None:
    df = model("ARG BASE=node:18\nFROM $BASE AS deps\nRUN x\nFROM deps as build\nFROM alpine\nCOPY --from=build /a /b\n")
    assert [s.label for s in df.stages] == ["deps", "build", "2"]
    assert df.final_stage().index == 2
    assert df.final_stage("BUILD").index == 1
    assert df.stage_named("1").name.value == "build"


def test_a_repeated_stage_name_means_its_last_stage_as_in_buildkit() -> None:
    df = model("FROM alpine AS base\nFROM debian AS base\nFROM base\n")
    assert df.stage_named("base") is df.stages[1] and df.stage_named("BASE") is df.stages[1]
    assert df.final_stage("base") is df.stages[1]
    assert df.stage_named("0") is df.stages[0] and df.stage_named("3") is None


def test_arg_scoping_and_build_args() -> None:
    text = (
        "ARG VERSION=18\nARG UNUSED\nFROM node:${VERSION}-alpine\nARG VERSION\nENV APP=/srv/$VERSION\n"
        "COPY ${APP}/x /y\nFROM alpine\nCOPY ${VERSION:-none} /z\n"
    )
    df = model(text)
    from_line, copy_in_first, copy_in_second = df.instructions[2], df.instructions[5], df.instructions[7]
    assert df.expand(from_line, from_line.args[0].value) == "node:18-alpine"
    assert df.expand(from_line, from_line.args[0].value, {"VERSION": "20"}) == "node:20-alpine"
    assert df.expand(copy_in_first, copy_in_first.args[0].value) == "/srv/18/x"
    # Not redeclared in the second stage: the global ARG is invisible there, so the value is unknown.
    assert df.expand(copy_in_second, copy_in_second.args[0].value) is None


def test_variables_after_an_instruction_include_its_own_env_as_buildkit_sets_it() -> None:
    df = model('ARG G=1\nFROM alpine\nARG P=3000\nENV PORT=$P NAME="web app"\n')
    from_line, arg, env = df.instructions[1], df.instructions[2], df.instructions[3]
    assert df.variables_at(env) == {"P": "3000"}
    assert df.variables_after(env) == {"P": "3000", "PORT": "3000", "NAME": "web app"}
    assert df.variables_after(env, {"P": "80"})["PORT"] == "80"
    assert df.variables_after(arg) == {"P": "3000"}
    # The global ARG is for the FROM line only: the stage it starts does not see it.
    assert df.variables_at(from_line) == {"G": "1"} and df.variables_after(from_line) == {}


def test_one_env_expands_its_values_before_setting_any() -> None:
    # The Dockerfile reference's example (Environment replacement): def is hello, ghi is bye.
    df = model("FROM busybox\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n")
    assert df.variables_after(df.instructions[-1]) == {"abc": "bye", "def": "hello", "ghi": "bye"}


def test_a_stage_built_from_another_starts_with_its_variables() -> None:
    # BuildKit's dispatchState.init: the child clones the parent's image config (ENV) and appends
    # its build args; an external base contributes nothing this model can know.
    df = model(
        "FROM alpine AS base\nARG VERSION=1.2\nENV APP_HOME=/srv/app\n"
        "FROM base AS build\nENV OUT=$APP_HOME/out-$VERSION\n"
        "FROM build\n"
        "FROM alpine\nENV OTHER=$APP_HOME\n"
    )
    build_env, last_of_other = df.instructions[4], df.instructions[-1]
    assert df.variables_after(build_env)["OUT"] == "/srv/app/out-1.2"
    assert df.variables_after(build_env, {"VERSION": "2"})["OUT"] == "/srv/app/out-2"
    assert df.variables_after(last_of_other) == {"OTHER": None}  # alpine's own ENV is not known
    empty_child = df.stages[2]
    assert df.parent_stage(empty_child) is df.stages[1]


def test_unknown_values_are_never_guessed() -> None:
    df = model("FROM alpine\nARG NOVALUE\nCOPY $NOVALUE/a $HOME/b ${X#pat} /c/\n")
    copy = df.instructions[2]
    assert all(df.expand(copy, arg.value) is None for arg in copy.args[:3])
    assert df.expand(copy, "/plain/'$quoted'") == "/plain/$quoted"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM alpine\nRUNN x\n", "unknown instruction"),
        ("FROM alpine\nCOPY --bogus a b\n", "unknown flag"),
        ("FROM alpine\nCOPY a\n", "COPY requires at least 2"),
        ("FROM alpine AS\n", "FROM takes an image"),
        ("FROM alpine\nONBUILD FROM x\n", "isn't allowed as an ONBUILD trigger"),
        ("FROM alpine\nHEALTHCHECK ping\n", "unknown type"),
        ("RUN echo hi\n", "no FROM instruction"),
        ("FROM alpine\nRUN <<EOF\nx\n", "unterminated heredoc"),
        ("", "no instructions"),
    ],
)
def test_files_docker_build_would_reject_have_problems(text: str, message: str) -> None:
    problems = model(text).problems
    assert any(message in problem.message for problem in problems), problems


def test_valid_instruction_forms_have_no_problems() -> None:
    text = (
        "FROM --platform=$BUILDPLATFORM alpine:3.20 AS base\nCOPY --chmod=755 --link --exclude=*.md . /app\n"
        "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://x/y /z\n"
        "RUN --mount=type=cache,target=/root/.cache pip install x\nENV A=1 B=\"2 3\"\nLABEL a=b\nEXPOSE 80/tcp 443\n"
        "HEALTHCHECK --interval=5s CMD wget -q --spider http://localhost/ || exit 1\nSHELL [\"/bin/sh\", \"-c\"]\n"
        "USER 1000:1000\nWORKDIR /app\nSTOPSIGNAL SIGINT\nVOLUME [\"/data\"]\nONBUILD RUN echo hi\nCMD [\"node\", \"s.js\"]\n"
    )
    assert model(text).problems == ()


def test_crlf_spans_exclude_the_carriage_return() -> None:
    text = "FROM alpine as a\r\nRUN echo \\\r\n  hi\r\n"
    df = model(text)
    run = df.instructions[1]
    assert text[run.start : run.end] == "RUN echo \\\r\n  hi"
    assert text[df.stages[0].name.start : df.stages[0].name.end] == "a"


def test_quoted_flag_values_keep_the_span_of_the_written_token() -> None:
    # BuildKit's parser hands back `--from=b` for `--from="b"`; the span must still cover the token.
    text = "FROM alpine AS b\nCOPY --from=\"b\" --chown='1:1' x y\n"
    copy = model(text).instructions[1]
    assert [(f.name, f.value, text[f.start : f.end]) for f in copy.flags] == [
        ("from", "b", '--from="b"'),
        ("chown", "1:1", "--chown='1:1'"),
    ]
