"""Typed instruction views against the Dockerfile reference and BuildKit's own tables.

Expectations come from outside the module under test:

- the Dockerfile reference (docs.docker.com/reference/dockerfile): COPY/ADD forms, HEALTHCHECK
  options and their defaults (interval 30s, timeout 30s, start-period 0s, start-interval 5s,
  retries 3), SHELL, WORKDIR and EXPOSE examples;
- BuildKit's sources and tests: `dfgitutil/git_ref_test.go` TestParseGitRef (which ADD sources are
  Git references), `convert_copy.go` (URL and Git sources refused by COPY, checksum rules),
  `instructions/parse.go` parseHealthcheck/parseOptInterval (messages, 1ms minimum, 0 = default),
  `bflag.go` (flag value errors) and `convert_expose_test.go` (port specs);
- Go's own error texts for time.ParseDuration and strconv.ParseInt;
- the corpus: every file there builds, so no view may report a BuildKit error for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcplint.discovery import dockerfile_kind
from mcplint.models.dockerfile import parse_dockerfile
from mcplint.models.instructions import (
    DEFAULT_SHELL,
    HEALTHCHECK_DEFAULTS,
    base_image,
    command_spec,
    copy_spec,
    expose_ports,
    expose_problems,
    flag_bool,
    healthcheck_spec,
    shell_at,
    stage_chain,
    user_of,
    workdir,
)
from mcplint.source import SourceFile

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def model(text: str):
    return parse_dockerfile(SourceFile(Path("Dockerfile"), text))


def only(text: str, keyword: str):
    dockerfile = model(text)
    matches = [ins for ins in dockerfile.instructions if ins.keyword == keyword]
    assert len(matches) == 1, text
    return dockerfile, matches[0]


# ------------------------------------------------------------------------------------ COPY / ADD


# BuildKit dfgitutil TestParseGitRef: refs with an expected GitRef are Git sources (except the
# "indistinguishable from local" github.com/... form, which ADD treats as a path); refs expected
# nil are not, and isHTTPSource then makes the http(s) ones URLs.
@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("https://example.com/", "url"),
        ("https://example.com/foo", "url"),
        ("https://example.com/foo.git", "git"),
        ("https://example.com/foo.git#deadbeef", "git"),
        ("https://example.com/foo.git#release/1.2", "git"),
        ("https://example.com/foo.git/", "url"),
        ("https://example.com/foo.git.bar", "url"),
        ("git://example.com/foo", "git"),
        ("github.com/moby/buildkit", "context"),
        ("custom.xyz/moby/buildkit.git", "context"),
        ("https://github.com/moby/buildkit", "url"),
        ("https://github.com/moby/buildkit.git", "git"),
        ("https://foo:bar@github.com/moby/buildkit.git", "git"),
        ("git@github.com:moby/buildkit", "git"),
        ("git@github.com:moby/buildkit.git", "git"),
        ("git@bitbucket.org:atlassianlabs/atlassian-docker.git", "git"),
        ("https://github.com/foo/bar.git#baz/qux:quux/quuz", "git"),
        ("http://github.com/docker/docker.git:#branch", "url"),
        ("https://github.com/docker/docker.git#:myfolder", "git"),
        ("./.git", "context"),
        (".git", "context"),
        ("https://github.com/docker/docker.git?ref=v1.0.0&subdir=/subdir", "git"),
        # convert_copy.go isHTTPSource compares the prefix as written: an upper-case scheme is a path.
        ("HTTPS://example.com/x", "context"),
        # Plain context paths from the reference's COPY/ADD examples.
        ("hom*", "context"),
        ("relativeDir/", "context"),
    ],
)
def test_add_source_kinds_follow_buildkit(source: str, kind: str) -> None:
    _, instruction = only(f"FROM alpine\nADD {source} /dest/\n", "ADD")
    spec = copy_spec(instruction)
    assert spec is not None and spec.is_add
    assert [(s.word.value, s.kind) for s in spec.sources] == [(source, kind)]
    assert spec.destination is not None and spec.destination.value == "/dest/"


def test_copy_refuses_urls_and_git_refs_as_buildkit_does() -> None:
    _, url = only("FROM alpine\nCOPY https://example.com/x.tar.gz /x\n", "COPY")
    _, git = only("FROM alpine\nCOPY git@github.com:moby/buildkit.git /src\n", "COPY")
    assert copy_spec(url).problems == ("source can't be a URL for COPY",)
    assert copy_spec(git).problems == ("source can't be a git ref for COPY",)


def test_copy_json_form_keeps_spaces_and_spans() -> None:
    # Reference: COPY ["<src>", ... "<dest>"] is required for paths containing whitespace.
    text = 'FROM alpine\nCOPY ["a b.txt", "c", "/x y/"]\n'
    _, instruction = only(text, "COPY")
    spec = copy_spec(instruction)
    assert [s.word.value for s in spec.sources] == ["a b.txt", "c"]
    assert all(s.kind == "context" for s in spec.sources)
    assert spec.destination.value == "/x y/"
    assert text[spec.destination.start : spec.destination.end] == '"/x y/"'


def test_copy_heredoc_source() -> None:
    # Reference, "Example: Creating inline files": COPY <<EOF /app/foo.sh.
    text = "FROM alpine\nCOPY <<EOF /app/foo.sh\necho hello\nEOF\n"
    _, instruction = only(text, "COPY")
    spec = copy_spec(instruction)
    assert [(s.kind, s.heredoc.name, s.heredoc.content) for s in spec.sources] == [("heredoc", "EOF", "echo hello\n")]
    assert spec.destination.value == "/app/foo.sh"


def test_copy_from_makes_every_source_a_path_in_that_stage_or_image() -> None:
    text = "FROM alpine AS build\nFROM alpine\nCOPY --from=build --chown=app:app --chmod=755 --link /a /b /dst/\n"
    dockerfile = model(text)
    spec = copy_spec(dockerfile.instructions[-1])
    assert spec.from_value == "build"
    assert [s.kind for s in spec.sources] == ["stage_or_image", "stage_or_image"]
    assert spec.chown.value == "app:app" and spec.chmod.value == "755"
    assert flag_bool(spec.link) == (True, None)
    assert spec.problems == ()
    # The flag spans are where the flags were written.
    assert text[spec.from_.start : spec.from_.end] == "--from=build"


def test_copy_exclude_may_repeat_and_parents_is_a_flag() -> None:
    # Reference: COPY --exclude can be specified multiple times; --parents keeps parent dirs.
    _, instruction = only("FROM alpine\nCOPY --parents --exclude=*.md --exclude=*.txt ./x/./y /z/\n", "COPY")
    spec = copy_spec(instruction)
    assert spec.excluded_patterns == ("*.md", "*.txt")
    assert flag_bool(spec.parents) == (True, None)
    assert spec.problems == ()


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        # BuildKit bflag.go, bool flags: bare is true; true/false in any case; "" is a missing value.
        ("--link", (True, None)),
        ("--link=true", (True, None)),
        ("--link=FALSE", (False, None)),
        ("--link=", (None, "missing a value on flag: --link")),
        ("--link=yes", (None, "expecting boolean value for flag --link, not: yes")),
    ],
)
def test_boolean_flags_read_as_bflags_does(flag: str, expected: tuple) -> None:
    _, instruction = only(f"FROM alpine\nCOPY {flag} a /b\n", "COPY")
    assert flag_bool(copy_spec(instruction).link) == expected


def test_add_checksum_rules() -> None:
    # convert_copy.go: checksum needs exactly one source, and an HTTP(S) or Git one.
    _, local = only("FROM alpine\nADD --checksum=sha256:abc ./file /x\n", "ADD")
    _, two = only("FROM alpine\nADD --checksum=sha256:abc https://a/x https://a/y /d/\n", "ADD")
    _, good = only("FROM alpine\nADD --checksum=sha256:abc https://a/x /x\n", "ADD")
    assert copy_spec(local).problems == ("checksum requires HTTP(S) or Git sources",)
    assert copy_spec(two).problems == ("checksum can't be specified for multiple sources",)
    assert copy_spec(good).problems == ()


def test_chmod_beyond_07777_is_refused() -> None:
    _, instruction = only("FROM alpine\nCOPY --chmod=17777 a /b\n", "COPY")
    assert copy_spec(instruction).problems == (
        "invalid chmod parameter: '17777'. it should be octal string and between 0 and 07777",
    )


def test_onbuild_copy_is_viewed_through_its_trigger() -> None:
    _, instruction = only("FROM alpine\nONBUILD COPY . /app/src\n", "ONBUILD")
    spec = copy_spec(instruction)
    assert [s.word.value for s in spec.sources] == ["."] and spec.destination.value == "/app/src"


# ----------------------------------------------------------------------------------- HEALTHCHECK


def test_healthcheck_defaults_are_dockers() -> None:
    # Reference: --interval 30s, --timeout 30s, --start-period 0s, --start-interval 5s, --retries 3.
    assert HEALTHCHECK_DEFAULTS == {
        "interval": 30.0, "timeout": 30.0, "start_period": 0.0, "start_interval": 5.0, "retries": 3,
    }  # fmt: skip
    _, instruction = only("FROM alpine\nHEALTHCHECK CMD /bin/check-running\n", "HEALTHCHECK")
    spec = healthcheck_spec(instruction)
    assert [option.effective for option in spec.options] == [30.0, 30.0, 0.0, 5.0, 3]
    assert all(option.flag is None and option.error is None for option in spec.options)


def test_healthcheck_reference_example() -> None:
    # Reference: HEALTHCHECK --interval=5m --timeout=3s CMD curl -f http://localhost/ || exit 1
    text = "FROM alpine\nHEALTHCHECK --interval=5m --timeout=3s \\\n  CMD curl -f http://localhost/ || exit 1\n"
    _, instruction = only(text, "HEALTHCHECK")
    spec = healthcheck_spec(instruction)
    assert spec.interval.value == 300 and spec.timeout.value == 3
    assert not spec.exec_form and not spec.none
    # A shell-form command becomes CMD-SHELL with the whole string (parseHealthcheck).
    assert spec.test == ("CMD-SHELL", "curl -f http://localhost/ || exit 1")
    word = spec.command_words[0]
    assert text[word.start : word.end] == "curl -f http://localhost/ || exit 1"
    assert spec.problems == ()


def test_healthcheck_exec_form_keeps_each_argument_and_its_span() -> None:
    text = 'FROM alpine\nHEALTHCHECK --start-period=1m30s --start-interval=2s CMD ["curl", "-f", "http://x/"]\n'
    _, instruction = only(text, "HEALTHCHECK")
    spec = healthcheck_spec(instruction)
    assert spec.exec_form and spec.command == ("curl", "-f", "http://x/")
    assert spec.test == ("CMD", "curl", "-f", "http://x/")
    assert [text[w.start : w.end] for w in spec.command_words] == ['"curl"', '"-f"', '"http://x/"']
    assert spec.start_period.value == 90 and spec.start_interval.value == 2


def test_healthcheck_none() -> None:
    _, instruction = only("FROM alpine\nHEALTHCHECK NONE\n", "HEALTHCHECK")
    spec = healthcheck_spec(instruction)
    assert spec.none and spec.test == ("NONE",) and spec.problems == ()
    _, extra = only("FROM alpine\nHEALTHCHECK NONE now\n", "HEALTHCHECK")
    assert healthcheck_spec(extra).problems == ("HEALTHCHECK NONE takes no arguments",)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("HEALTHCHECK FOO bar", 'Unknown type "FOO" in HEALTHCHECK (try CMD)'),
        ("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"),
        ("HEALTHCHECK --interval=1s --interval=2s CMD true", "duplicate flag specified: --interval"),
    ],
)
def test_healthcheck_problems_use_buildkit_messages(line: str, problem: str) -> None:
    _, instruction = only(f"FROM alpine\n{line}\n", "HEALTHCHECK")
    assert problem in healthcheck_spec(instruction).problems


@pytest.mark.parametrize(
    ("flag", "attribute", "value", "error"),
    [
        # time.ParseDuration's own messages: a number needs a unit, units are Go's.
        ("--interval=30", "interval", None, 'time: missing unit in duration "30"'),
        ("--interval=1d", "interval", None, 'time: unknown unit "d" in duration "1d"'),
        ("--timeout=fast", "timeout", None, 'time: invalid duration "fast"'),
        # parseOptInterval: a non-zero duration under 1ms (negative ones too) is refused.
        ("--timeout=-1s", "timeout", None, 'Interval "timeout" cannot be less than 1ms'),
        ("--start-period=500us", "start_period", None, 'Interval "start-period" cannot be less than 1ms'),
        ("--start-interval=1ms", "start_interval", 0.001, None),
        # 0 is accepted and means "use the default" (Engine API: 0 means inherit).
        ("--interval=0s", "interval", 0.0, None),
        # A flag with no value (bflag.go) and an empty one (taken as not given).
        ("--interval", "interval", None, "missing a value on flag: --interval"),
        ("--retries=", "retries", 0, None),
        # strconv.ParseInt(v, 10, 32), then the negative check.
        ("--retries=x", "retries", None, 'strconv.ParseInt: parsing "x": invalid syntax'),
        ("--retries=1.5", "retries", None, 'strconv.ParseInt: parsing "1.5": invalid syntax'),
        ("--retries=3000000000", "retries", None, 'strconv.ParseInt: parsing "3000000000": value out of range'),
        ("--retries=-1", "retries", None, "--retries cannot be negative (-1)"),
        ("--retries=+5", "retries", 5, None),
    ],
)
def test_healthcheck_option_validation(flag: str, attribute: str, value: float | None, error: str | None) -> None:
    _, instruction = only(f"FROM alpine\nHEALTHCHECK {flag} CMD true\n", "HEALTHCHECK")
    option = getattr(healthcheck_spec(instruction), attribute)
    assert (option.value, option.error) == (value, error)


@settings(max_examples=60, deadline=None)
@given(
    amount=st.integers(min_value=1, max_value=10_000),
    unit=st.sampled_from([("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]),
    retries=st.integers(min_value=0, max_value=2**31 - 1),
)
def test_healthcheck_durations_and_retries_parse_as_go(amount: int, unit: tuple, retries: int) -> None:
    suffix, seconds = unit
    _, instruction = only(
        f"FROM alpine\nHEALTHCHECK --interval={amount}{suffix} --retries={retries} CMD true\n", "HEALTHCHECK"
    )
    spec = healthcheck_spec(instruction)
    assert spec.interval.value == pytest.approx(amount * seconds)
    assert spec.retries.value == retries
    assert spec.retries.effective == (retries or 3)


# ------------------------------------------------------------------------ CMD / ENTRYPOINT / RUN


def test_exec_and_shell_forms() -> None:
    # Reference: CMD ["executable","param1","param2"] (exec form) and CMD command param1 (shell form),
    # which runs under /bin/sh -c by default.
    dockerfile = model('FROM alpine\nCMD ["node", "server.js"]\nENTRYPOINT echo "a  b"\n')
    cmd, entrypoint = dockerfile.instructions[1:]
    exec_spec = command_spec(dockerfile, cmd)
    assert exec_spec.exec_form and exec_spec.effective_argv == ("node", "server.js")
    shell_spec = command_spec(dockerfile, entrypoint)
    assert not shell_spec.exec_form
    assert shell_spec.effective_argv == (*DEFAULT_SHELL, 'echo "a  b"')


def test_shell_instruction_applies_to_later_instructions_and_child_stages() -> None:
    # Reference: each SHELL overrides previous ones and affects all subsequent instructions;
    # a stage built FROM another stage starts from that stage's image configuration.
    text = (
        "FROM alpine AS base\nRUN echo one\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\n"
        "RUN echo two\nFROM base AS child\nRUN echo three\nFROM alpine\nRUN echo four\n"
    )
    dockerfile = model(text)
    runs = [ins for ins in dockerfile.instructions if ins.keyword == "RUN"]
    bash = ("/bin/bash", "-o", "pipefail", "-c")
    assert [shell_at(dockerfile, run) for run in runs] == [DEFAULT_SHELL, bash, bash, DEFAULT_SHELL]
    assert command_spec(dockerfile, runs[1]).effective_argv == (*bash, "echo two")


# ------------------------------------------------------------------------------------- EXPOSE ...


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        # Reference: the default protocol is TCP; EXPOSE 80/udp; EXPOSE 80/tcp 80/udp.
        ("80", [(80, "tcp", None)]),
        ("80/udp", [(80, "udp", None)]),
        ("80/tcp 80/udp", [(80, "tcp", None), (80, "udp", None)]),
        # convert_expose_test.go TestParsePortSpecs*, TestParsePortSpecFull, TestPartPortSpecIPV6.
        ("3456/sctp", [(3456, "sctp", None)]),
        ("1234-1236/tcp", [(1234, "tcp", None), (1235, "tcp", None), (1236, "tcp", None)]),
        ("0.0.0.0:1234-1235:3333-3334/tcp", [(3333, "tcp", None), (3334, "tcp", None)]),
        ("[2001:4860:0:2001::68]::333", [(333, "tcp", None)]),
        ("[::1]:80:80", [(80, "tcp", None)]),
        ("::::80", [(80, "tcp", None)]),
        ("localhost:1234:1234/tcp", [(None, "tcp", "invalid IP address: localhost")]),
        # splitProtoPort / parsePortRange errors.
        ("80/foo", [(None, "foo", "invalid proto: foo")]),
        ("70000", [(None, "tcp", "invalid containerPort: 70000")]),
        ("90-80", [(None, "tcp", "invalid containerPort: 90-80")]),
    ],
)
def test_expose_ports(arguments: str, expected: list) -> None:
    _, instruction = only(f"FROM alpine\nEXPOSE {arguments}\n", "EXPOSE")
    ports = expose_ports(instruction)
    assert [(port, proto) for port, proto, _word in ports] == [(port, proto) for port, proto, _ in expected]
    assert [problem.message for problem in expose_problems(instruction)] == [m for _, _, m in expected if m]
    assert all(word.value == arguments.split()[0] or word.value in arguments.split() for _, _, word in ports)


def test_expose_with_variables() -> None:
    dockerfile, instruction = only("FROM alpine\nARG PORT=8080\nENV OTHER=9\nEXPOSE $PORT/udp ${MISSING}\n", "EXPOSE")
    ports = expose_ports(instruction, dockerfile.variables_at(instruction))
    assert [(p.port, p.proto, p.word.value) for p in ports] == [(8080, "udp", "$PORT/udp"), (None, "tcp", "${MISSING}")]
    # Without the stage's variables nothing is guessed.
    assert expose_ports(instruction)[0].port is None


def test_user_and_workdir() -> None:
    # Reference, WORKDIR: "WORKDIR /a, WORKDIR b, WORKDIR c, RUN pwd" prints /a/b/c.
    text = "FROM alpine AS base\nWORKDIR /a\nWORKDIR b\nUSER app\nFROM base\nWORKDIR c\nRUN pwd\nUSER 1000:1000\n"
    dockerfile = model(text)
    base, final = dockerfile.stages
    assert workdir(dockerfile, final) == "/a/b/c"
    assert workdir(dockerfile, base, before=base.instructions[0]) is None  # the base image's, unknown
    assert workdir(dockerfile, base, before=base.instructions[1]) == "/a"
    assert user_of(base).value == "app" and user_of(final).value == "1000:1000"
    assert workdir(dockerfile, model("FROM scratch\nWORKDIR app\n").stages[0]) == "/app"


# ------------------------------------------------------------------------------ stages and bases


def test_stage_parent_and_base_image_follow_stage_references() -> None:
    text = "ARG NODE=18\nFROM node:${NODE}-alpine AS build\nFROM build AS final\nFROM final\nFROM later\nFROM alpine AS later\n"
    dockerfile = model(text)
    build, final, last, forward, later = dockerfile.stages
    assert dockerfile.parent_stage(build) is None
    assert dockerfile.parent_stage(final) is build and dockerfile.parent_stage(last) is final
    assert base_image(dockerfile, last) == "node:18-alpine"
    assert base_image(dockerfile, last, {"NODE": "20"}) == "node:20-alpine"
    # A FROM only refers to stages defined before it: "later" here is an image name.
    assert dockerfile.parent_stage(forward) is None and base_image(dockerfile, forward) == "later"
    assert base_image(dockerfile, later) == "alpine"
    assert stage_chain(dockerfile, last) == (build, final, last)
    assert stage_chain(dockerfile, forward) == (forward,) and stage_chain(dockerfile, build) == (build,)


def test_the_stage_chain_follows_the_last_stage_of_a_repeated_name() -> None:
    # BuildKit's map of stage names is overwritten in order: `FROM base` means the second `base`.
    dockerfile = model("FROM alpine AS base\nFROM debian AS base\nFROM base\n")
    first, second, last = dockerfile.stages
    assert stage_chain(dockerfile, last) == (second, last)
    assert base_image(dockerfile, last) == "debian"


def test_base_image_is_none_when_a_variable_is_unknown() -> None:
    dockerfile = model("ARG IMAGE\nFROM $IMAGE\n")
    assert base_image(dockerfile, dockerfile.stages[0]) is None
    assert base_image(dockerfile, dockerfile.stages[0], {"IMAGE": "python:3.12-slim"}) == "python:3.12-slim"


# ------------------------------------------------------------------------------------- the corpus


def corpus_dockerfiles() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and dockerfile_kind(p.name))


@pytest.mark.corpus
def test_views_report_no_buildkit_error_on_files_that_build() -> None:
    files = corpus_dockerfiles()
    if not files:
        pytest.skip("../shared/corpus is absent: this test reads the real Dockerfiles")
    seen = {"COPY": 0, "ADD": 0, "HEALTHCHECK": 0, "EXPOSE": 0}
    for path in files:
        source = SourceFile.from_bytes(path, path.read_bytes())
        dockerfile = parse_dockerfile(source)
        if dockerfile.problems:
            continue  # a template or a file BuildKit refuses anyway
        for instruction in dockerfile.instructions:
            where = f"{path}:{instruction.start_line}"
            if instruction.keyword in ("COPY", "ADD"):
                spec = copy_spec(instruction)
                assert spec.problems == (), where
                assert spec.destination is not None, where
                seen[instruction.keyword] += 1
            elif instruction.keyword == "HEALTHCHECK":
                spec = healthcheck_spec(instruction)
                assert spec.problems == () and all(o.error is None for o in spec.options), where
                seen["HEALTHCHECK"] += 1
            elif instruction.keyword == "EXPOSE":
                assert expose_problems(instruction, dockerfile.variables_at(instruction)) == (), where
                seen["EXPOSE"] += 1
    assert seen["COPY"] > 100 and seen["EXPOSE"] > 20, seen
