"""RUN analysis: package operations, certainty, variables, heredocs, on small cases and real files.

Expectations come from the package managers' documented command lines (apk-add(8), apk-del(8),
apt-get(8), apt-mark(8), dnf(8)), from POSIX shell semantics (`&&`, `||`, `if`, `for`, field
splitting of unquoted expansions), from BuildKit's dispatchRun (how a heredoc RUN reaches the shell),
and, for the corpus cases, from reading the official Dockerfiles in ../shared/corpus; each corpus
test says what the file does at which line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcplint.discovery import dockerfile_kind
from mcplint.models.dockerfile import Dockerfile, parse_dockerfile
from mcplint.models.packages import (
    OpaqueStep,
    PackageOp,
    PathChange,
    ProgramUse,
    analyze_run,
    package_operations,
)
from mcplint.source import SourceFile

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus is absent ({CORPUS}): these cases read real Dockerfiles")


def model(text: str):
    return parse_dockerfile(SourceFile(Path("Dockerfile"), text))


def ops_of(text: str, build_args: dict[str, str] | None = None) -> list[PackageOp]:
    dockerfile = model(text)
    operations: list[PackageOp] = []
    for instruction in dockerfile.instructions:
        if instruction.keyword == "RUN":
            operations.extend(package_operations(dockerfile, instruction, build_args))
    return operations


def summary(operations: list[PackageOp]) -> list[tuple]:
    return [(op.manager, op.action, op.packages, op.virtual, op.certain) for op in operations]


# -------------------------------------------------------------------------------------------- apk


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        ("apk add --no-cache curl", [("apk", "install", ("curl",), None, True)]),
        # apk-add(8): -t/--virtual NAME creates a virtual package depending on the others.
        ("apk add --no-cache --virtual .build-deps curl wget", [("apk", "install", ("curl", "wget"), ".build-deps", True)]),
        ("apk add -t .d curl", [("apk", "install", ("curl",), ".d", True)]),
        ("apk add --virtual=.d curl", [("apk", "install", ("curl",), ".d", True)]),
        # Global options go before the applet too (apk(8)).
        ("apk --no-cache --update add curl", [("apk", "install", ("curl",), None, True)]),
        # Constraints: name=version, name>version, name~version, name@tag (apk-world(5)).
        ("apk add curl=8.5.0-r0 'bash>5' busybox~1.36 nodejs@edge", [("apk", "install", ("curl", "bash", "busybox", "nodejs"), None, True)]),
        ("apk del .build-deps", [("apk", "remove", (".build-deps",), None, True)]),
        ("apk del --no-network curl wget", [("apk", "remove", ("curl", "wget"), None, True)]),
        # --simulate changes nothing.
        ("apk add -s curl", []),
        ("apk update", []),
    ],
)
def test_apk_command_lines(run: str, expected: list) -> None:
    assert summary(ops_of(f"FROM alpine\nRUN {run}\n")) == expected


# -------------------------------------------------------------------------------------------- apt


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (
            "apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10 wget && rm -rf /var/lib/apt/lists/*",
            [("apt-get", "install", ("curl", "wget"), None, True)],
        ),
        ("apt install -y curl", [("apt", "install", ("curl",), None, True)]),
        # Options anywhere, and -o taking a value (apt-get(8)).
        ("apt-get -o Dpkg::Options::=--force-confold install -y curl", [("apt-get", "install", ("curl",), None, True)]),
        ("apt-get install -y curl --no-install-recommends wget", [("apt-get", "install", ("curl", "wget"), None, True)]),
        # name/release, name:arch and "name-" (apt-get(8): a trailing hyphen removes the package).
        (
            "apt-get install -y curl/bookworm-backports libc6:amd64 nano-",
            [("apt-get", "install", ("curl", "libc6"), None, True), ("apt-get", "remove", ("nano",), None, True)],
        ),
        ("apt-get purge -y --auto-remove wget", [("apt-get", "remove", ("wget",), None, True), ("apt-get", "purge_auto", (), None, True)]),
        ("apt-get remove -y curl", [("apt-get", "remove", ("curl",), None, True)]),
        ("apt-get autoremove -y", [("apt-get", "purge_auto", (), None, True)]),
        ("apt-get -s install curl", []),
        ("apt-get install --download-only curl", []),
        # apt-mark(8): a regular expression selects every matching package.
        ("apt-mark auto '.*' > /dev/null", [("apt-mark", "mark_auto_all", (), None, True)]),
        ("apt-mark manual curl", [("apt-mark", "mark_manual", ("curl",), None, True)]),
        ("apt-mark showmanual", []),
    ],
)
def test_apt_command_lines(run: str, expected: list) -> None:
    assert summary(ops_of(f"FROM debian\nRUN {run}\n")) == expected


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        ("dnf install -y curl && dnf clean all", [("dnf", "install", ("curl",), None, True)]),
        ("yum -y install curl-minimal.x86_64", [("yum", "install", ("curl-minimal",), None, True)]),
        ("microdnf install -y --nodocs --setopt=install_weak_deps=0 curl", [("microdnf", "install", ("curl",), None, True)]),
        ("dnf remove -y curl", [("dnf", "remove", ("curl",), None, True)]),
        # dnf(8): a file path names the package that provides it.
        ("dnf install -y /usr/bin/curl", [("dnf", "install", ("/usr/bin/curl",), None, True)]),
        ("dnf install -y --downloadonly curl", []),
    ],
)
def test_rpm_family_command_lines(run: str, expected: list) -> None:
    assert summary(ops_of(f"FROM fedora\nRUN {run}\n")) == expected


def test_pip_and_npm_are_not_system_packages() -> None:
    assert ops_of("FROM python:3.12\nRUN pip install --no-cache-dir requests && npm install -g pnpm\n") == []


def test_package_words_point_at_the_text_across_continuations() -> None:
    text = "FROM alpine\nRUN set -eux; \\\n    apk add --no-cache \\\n# a comment BuildKit drops\n        \"curl\" \\\n        wget=1.21-r0\n"
    (op,) = ops_of(text)
    assert op.packages == ("curl", "wget")
    assert [text[w.start : w.end] for w in op.words] == ['"curl"', "wget=1.21-r0"]
    assert [w.value for w in op.words] == ["curl", "wget=1.21-r0"]
    assert text[op.start : op.end].startswith("apk add")


# ------------------------------------------------------------------------------------ control flow


def test_sequences_are_certain_and_conditionals_are_not() -> None:
    operations = ops_of(
        "FROM alpine\nRUN set -eux; apk add a; apk add b && apk add c | cat; "
        'if [ "$(uname -m)" = x86_64 ]; then apk add d; else apk add e; fi; '
        "apk add f || true; test -f /x && apk add g; apk add h || exit 1\n"
    )
    certainty = {op.packages[0]: op.certain for op in operations}
    # ';', '&&' after an action and '|' run every command of a successful build; if/else branches,
    # the left of `|| true` (it may have failed) and the right of a test's `&&` may not run;
    # `|| exit 1` makes the left certain (otherwise the build fails).
    assert certainty == {"a": True, "b": True, "c": True, "d": False, "e": False, "f": False, "g": False, "h": True}
    branches = {op.packages[0]: op.conditions for op in operations}
    assert branches["d"] != branches["e"]


@pytest.mark.parametrize("test", ["grep -q foo /etc/x", "\\grep -q foo /etc/x", "'grep' -q foo /etc/x", 'g"re"p -q foo /etc/x', "te\\st -f /x"])
def test_a_quoted_or_escaped_test_still_makes_what_follows_conditional(test: str) -> None:
    # Quote removal makes `\grep`, `'grep'` and `g"re"p` the same command name as `grep` (POSIX 2.6.7).
    (op,) = ops_of(f"FROM alpine\nRUN {test} && apk add curl\n")
    assert not op.certain


@pytest.mark.parametrize("failure", ["exit 1", "\\exit 1", "'false'"])
def test_a_quoted_or_escaped_failure_after_or_still_makes_the_left_certain(failure: str) -> None:
    (op,) = ops_of(f"FROM alpine\nRUN apk add curl || {failure}\n")
    assert op.certain


def test_case_with_a_known_subject_takes_its_arm_and_exit_1_arms_are_dropped() -> None:
    operations = ops_of(
        "FROM alpine\nARG FLAVOUR=full\n"
        'RUN case "$FLAVOUR" in full) apk add curl ;; *) apk add wget ;; esac; '
        'case "$(apk --print-arch)" in x86_64) apk add a ;; aarch64) apk add b ;; *) echo unsupported; apk add c; exit 1 ;; esac\n'
    )
    assert [(op.packages, op.certain) for op in operations] == [(("curl",), True), (("a",), False), (("b",), False)]


def test_for_over_literal_words_runs_every_iteration() -> None:
    operations = ops_of("FROM alpine\nRUN for pkg in curl wget; do apk add --no-cache $pkg; done\n")
    assert [(op.packages, op.certain) for op in operations] == [(("curl",), True), (("wget",), True)]


def test_a_function_runs_where_it_is_called() -> None:
    operations = ops_of("FROM alpine\nRUN install_tools() { apk add curl; }; echo ready; install_tools\n")
    assert summary(operations) == [("apk", "install", ("curl",), None, True)]


def test_background_jobs_are_uncertain() -> None:
    (op,) = ops_of("FROM alpine\nRUN apk add curl & sleep 1\n")
    assert not op.certain


# -------------------------------------------------------------------------------------- variables


def test_variables_resolve_from_the_same_run_and_split_when_unquoted() -> None:
    operations = ops_of(
        "FROM debian\nRUN buildDeps='gcc make' && apt-get install -y $buildDeps && apt-get purge -y \"$buildDeps\"\n"
    )
    install, purge = operations
    assert install.packages == ("gcc", "make")
    # Quoted, the value stays one word, "gcc make": not a package name apt could find.
    assert purge.packages == () and [w.value for w in purge.unresolved] == ["gcc make"]
    text = model("FROM debian\nRUN buildDeps='gcc make' && apt-get purge -y \"$buildDeps\"\n").source.text
    word = ops_of(text)[0].unresolved[0]
    assert text[word.start : word.end] == '"$buildDeps"'


def test_variables_resolve_from_arg_and_env_and_build_args() -> None:
    text = "FROM alpine\nARG PKG=curl\nENV EXTRA=\"bash jq\"\nRUN apk add $PKG $EXTRA\n"
    assert ops_of(text)[0].packages == ("curl", "bash", "jq")
    assert ops_of(text, {"PKG": "wget"})[0].packages == ("wget", "bash", "jq")


def test_unknown_variables_are_reported_not_guessed() -> None:
    (op,) = ops_of("FROM alpine\nRUN apk add curl $DEPS $(cat /deps.txt)\n")
    assert op.packages == ("curl",)
    assert [w.value for w in op.unresolved] == ["$DEPS", "$(cat /deps.txt)"]
    assert not op.libraries_only


def test_assignments_in_a_branch_are_unknown_after_it() -> None:
    (op,) = ops_of('FROM alpine\nRUN deps=curl; if [ -f /x ]; then deps=wget; fi; apk add $deps\n')
    assert op.packages == () and len(op.unresolved) == 1


def test_the_saved_apt_mark_dance() -> None:
    # The docker-library idiom: remember the manual packages, install build tools, mark all auto,
    # mark the remembered ones manual again, purge what is now unneeded.
    operations = ops_of(
        "FROM debian\nRUN set -eux; savedAptMark=\"$(apt-mark showmanual)\"; apt-get update; "
        "apt-get install -y --no-install-recommends wget; apt-mark auto '.*' > /dev/null; "
        '[ -z "$savedAptMark" ] || apt-mark manual $savedAptMark > /dev/null; '
        "apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false\n"
    )
    actions = [(op.action, op.certain) for op in operations]
    # The `[ -z ] ||` guard only skips a restore of nothing, so the restore is certain.
    assert actions == [
        ("save_manual", True), ("install", True), ("mark_auto_all", True), ("restore_manual", True), ("purge_auto", True),
    ]  # fmt: skip
    assert operations[0].saves is not None and operations[3].restores == operations[0].saves


def test_library_package_lists_are_recognised() -> None:
    # scanelf --needed / ldd | dpkg-query --search derive packages from shared libraries.
    alpine = ops_of(
        "FROM alpine\nRUN runDeps=\"$(scanelf --needed --nobanner --recursive /usr/local | awk '{ print \"so:\" $1 }')\"; "
        "apk add --no-network --virtual .rundeps $runDeps\n"
    )
    debian = ops_of(
        "FROM debian\nRUN find /usr/local -type f -executable -exec ldd '{}' ';' | awk '/=>/ { print $(NF-1) }' "
        "| xargs -r dpkg-query --search | cut -d: -f1 | sort -u | xargs -r apt-mark manual\n"
    )
    assert [(op.action, op.virtual, op.libraries_only) for op in alpine] == [("install", ".rundeps", True)]
    assert [(op.action, op.libraries_only) for op in debian] == [("mark_manual", True)]


def test_optional_words_from_a_command_substitution() -> None:
    # `$(test && echo name)` prints the name or nothing.
    operations = ops_of("FROM alpine\nRUN apk add bash $([ \"$(apk --print-arch)\" != ppc64le ] && echo nss_wrapper)\n")
    assert [(op.packages, op.certain) for op in operations] == [(("bash",), True), (("nss_wrapper",), False)]


def test_apt_mark_showmanual_piped_to_auto_marks_everything() -> None:
    (op,) = ops_of("FROM debian\nRUN apt-mark showmanual | xargs apt-mark auto > /dev/null\n")
    assert op.action == "mark_auto_all"


# --------------------------------------------------------------------------- forms and heredocs


@pytest.mark.parametrize(
    "run",
    [
        'RUN ["sh", "-c", "apk add --no-cache curl"]',
        'RUN ["/bin/ash", "-ec", "apk add --no-cache curl"]',
        'RUN ["apk", "add", "--no-cache", "curl"]',
        "RUN sh -c 'apk add --no-cache curl'",
        "RUN <<EOF\napk add --no-cache curl\nEOF",
        "RUN <<EOT bash\n  set -ex\n  apk add --no-cache \\\n    curl\nEOT",
        "RUN <<EOF\n#!/bin/sh -e\napk add --no-cache curl\nEOF",
        "RUN <<-EOF\n\tapk add --no-cache curl\n\tEOF",
    ],
)
def test_every_form_reaches_the_same_operation(run: str) -> None:
    text = f"FROM alpine\n{run}\n"
    (op,) = ops_of(text)
    assert (op.action, op.packages, op.certain) == ("install", ("curl",), True)
    assert [text[w.start : w.end].strip('"') for w in op.words] == ["curl"]


def test_heredocs_that_are_not_shell_scripts_install_nothing() -> None:
    # A python shebang runs the body with python; `cat <<EOF` writes a file.
    text = "FROM python:3.12\nRUN <<EOF\n#!/usr/bin/env python3\nprint('apk add curl')\nEOF\nRUN cat <<EOF > /etc/x\napk add curl\nEOF\n"
    assert ops_of(text) == []
    # dispatchRun chomps a <<- body (ChompHeredocContent) before looking for the shebang.
    assert ops_of("FROM python:3.12\nRUN <<-EOF\n\t#!/usr/bin/env python3\n\tprint('apk add curl')\n\tEOF\n") == []
    dockerfile = model(text)
    uses = [e for e in analyze_run(dockerfile, dockerfile.instructions[1]).events if isinstance(e, ProgramUse)]
    assert [(u.program, u.fatal) for u in uses] == [("python3", True)]


def test_non_posix_shell_is_not_analysed() -> None:
    dockerfile = model('FROM mcr.microsoft.com/windows/servercore\nSHELL ["powershell", "-Command"]\nRUN Install-Thing curl\n')
    analysis = analyze_run(dockerfile, dockerfile.instructions[-1])
    assert not analysis.analysable and analysis.events == ()


def test_unparseable_scripts_are_reported() -> None:
    dockerfile = model("FROM alpine\nRUN apk add curl && if true; then echo\n")
    analysis = analyze_run(dockerfile, dockerfile.instructions[-1])
    assert not analysis.analysable and "fi" in analysis.problem


def test_programs_run_files_written_and_opaque_installers() -> None:
    text = (
        "FROM alpine\nRUN set -e; curl -fsSL https://x/tool -o /usr/local/bin/tool; "
        "ln -s /usr/bin/python3 /usr/local/bin/python; make -C src install; curl -fsSL https://x/i.sh | sh; "
        "wget -q --spider http://localhost || true\n"
    )
    dockerfile = model(text)
    events = analyze_run(dockerfile, dockerfile.instructions[-1]).events
    uses = [(e.program, e.fatal) for e in events if isinstance(e, ProgramUse)]
    # With set -e every command's failure fails the RUN, except the left of `|| true` and the
    # producer of a pipe (no pipefail).
    assert uses == [("curl", True), ("ln", True), ("make", True), ("curl", False), ("sh", True), ("wget", False)]
    paths = [(e.kind, e.path, e.target) for e in events if isinstance(e, PathChange)]
    assert paths == [("write", "/usr/local/bin/tool", None), ("link", "/usr/local/bin/python", "/usr/bin/python3")]
    assert [e.description for e in events if isinstance(e, OpaqueStep)] == ["make install", "a script piped to sh"]


# Shell-ish fragments, balanced or not: the analysis must answer (or say it cannot) and never raise.
_FRAGMENTS = [
    "apk", "add", "del", "--virtual", ".d", "curl", "apt-get", "install", "-y", "purge", "--auto-remove",
    "apt-mark", "auto", "'.*'", "manual", "$x", '"$x"', "x=1", "&&", "||", ";", "|", "&", "if", "then",
    "else", "fi", "case", "in", "esac", ")", "(", "{", "}", ";;", "for", "do", "done", "$(", "`", "'", '"',
    "<<EOF", "EOF", "exit", "1", "sh", "-c", "xargs", "make", "tar", "-x", "ln", "-s", "/usr/bin/x",
    "${x:-y}", "${", "#", "!", "[", "]", "-z", "=", "set", "-e", "eval", "f()", "<", ">", "2>&1", "[[", "]]",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=25), st.booleans())
def test_analysis_never_raises(fragments: list[str], heredoc: bool) -> None:
    body = " ".join(fragments)
    text = f"FROM alpine\nRUN <<EOF\n{body}\nEOF\n" if heredoc else f"FROM alpine\nRUN {body}\n"
    dockerfile = model(text)
    for instruction in dockerfile.instructions:
        if instruction.keyword == "RUN":
            analysis = analyze_run(dockerfile, instruction)
            assert analysis.analysable or analysis.problem
            for event in analysis.events:
                assert 0 <= event.start <= event.end <= len(text)


# ------------------------------------------------------------------------------------- the corpus


def corpus_file(relative: str) -> Dockerfile:
    path = CORPUS / relative
    source = SourceFile.from_bytes(path, path.read_bytes())
    return parse_dockerfile(source)


def run_ops(dockerfile: Dockerfile, line: int) -> list[PackageOp]:
    (instruction,) = [i for i in dockerfile.instructions if i.keyword == "RUN" and i.start_line == line]
    return list(package_operations(dockerfile, instruction))


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob("nodejs__docker-node/*/alpine*/Dockerfile")) if CORPUS.is_dir() else [])
def test_node_alpine_adds_curl_in_a_virtual_group_and_deletes_it(relative: str) -> None:
    # nodejs/docker-node */alpine*/Dockerfile, first RUN: `apk add --no-cache libstdc++`, then
    # `apk add --no-cache --virtual .build-deps curl`; inside `if [ -n "${CHECKSUM}" ]; then ...
    # else` the source build adds and deletes `.build-deps-full` (python3, make, g++, ...); after
    # `fi`, `apk del .build-deps`. Node 22 and 24 have a second RUN that adds `.build-deps-yarn`
    # (curl gnupg tar) and deletes it; node 26 installs no yarn.
    dockerfile = corpus_file(relative)
    runs = [i for i in dockerfile.instructions if i.keyword == "RUN"]
    first = runs[0]
    steps = [(op.action, op.packages, op.virtual, op.certain) for op in package_operations(dockerfile, first)]
    assert steps[:2] == [("install", ("libstdc++",), None, True), ("install", ("curl",), ".build-deps", True)]
    full_install, full_delete = steps[2], steps[3]
    assert full_install[0] == "install" and full_install[2] == ".build-deps-full" and not full_install[3]
    assert {"python3", "make", "g++"} <= set(full_install[1])
    assert full_delete == ("remove", (".build-deps-full",), None, False)
    assert steps[4:] == [("remove", (".build-deps",), None, True)]
    assert len(runs) == (1 if relative.startswith("nodejs__docker-node/26/") else 2)
    if len(runs) == 1:
        return
    yarn_steps = [(op.action, op.packages, op.virtual, op.certain) for op in package_operations(dockerfile, runs[1])]
    assert yarn_steps == [
        ("install", ("curl", "gnupg", "tar"), ".build-deps-yarn", True), ("remove", (".build-deps-yarn",), None, True),
    ]  # fmt: skip


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob("docker-library__python/*/slim-*/Dockerfile")) if CORPUS.is_dir() else [])
def test_python_slim_builds_with_wget_and_purges_it(relative: str) -> None:
    # docker-library/python */slim-*/Dockerfile, the build RUN: `savedAptMark="$(apt-mark
    # showmanual)"`, `apt-get install ... wget ...`, `apt-mark auto '.*'`, `apt-mark manual
    # $savedAptMark`, the ldd | dpkg-query --search | xargs -r apt-mark manual pipeline, then
    # `apt-get purge -y --auto-remove`. Everything at the top level of a `set -eux` script.
    dockerfile = corpus_file(relative)
    runs = [i for i in dockerfile.instructions if i.keyword == "RUN"]
    build = next(run for run in runs if "savedAptMark" in run.logical)
    operations = list(package_operations(dockerfile, build))
    actions = [op.action for op in operations]
    assert actions == ["save_manual", "install", "mark_auto_all", "restore_manual", "mark_manual", "purge_auto"]
    assert all(op.certain for op in operations)
    assert "wget" in operations[1].packages
    assert operations[3].restores == operations[0].saves
    assert operations[4].libraries_only


@needs_corpus
@pytest.mark.corpus
def test_postgres_bookworm_operations() -> None:
    # docker-library/postgres 17/bookworm: the gosu RUN (line 32) saves the manual list, installs
    # ca-certificates and wget, marks all auto, restores behind `[ -z "$savedAptMark" ] ||`, and
    # purges. The server RUN (line 94) builds from source only in the `*)` arm of
    # `case "$dpkgArch"`, then installs postgresql-common and "postgresql-$PG_MAJOR=$PG_VERSION"
    # (ENV PG_MAJOR 17) for every architecture, and purges only `if [ -n "$tempDir" ]`.
    dockerfile = corpus_file("docker-library__postgres/17/bookworm/Dockerfile")
    gosu = run_ops(dockerfile, 32)
    assert [(op.action, op.packages, op.certain) for op in gosu] == [
        ("save_manual", (), True), ("install", ("ca-certificates", "wget"), True), ("mark_auto_all", (), True),
        ("restore_manual", (), True), ("purge_auto", (), True),
    ]  # fmt: skip
    server = run_ops(dockerfile, 94)
    certain = [(op.action, op.packages) for op in server if op.certain]
    assert certain == [("install", ("postgresql-common",)), ("install", ("postgresql-17",))]
    pinned = next(op for op in server if op.packages == ("postgresql-17",))
    assert pinned.words[0].value == "postgresql-17=17.9-1.pgdg12+1"
    conditional = [op.action for op in server if not op.certain]
    assert "purge_auto" in conditional and "mark_auto_all" in conditional


@needs_corpus
@pytest.mark.corpus
def test_redis_alpine_rundeps_are_libraries() -> None:
    # docker-library/redis 7.2/alpine, build RUN (line 54): `.build-deps` includes wget (line 69),
    # `runDeps="$(scanelf --needed ... | awk ... print "so:" $1 ...)"`, then
    # `apk add --no-network --virtual .redis-rundeps $runDeps` and `apk del --no-network .build-deps`.
    dockerfile = corpus_file("docker-library__redis/7.2/alpine/Dockerfile")
    build = next(i for i in dockerfile.instructions if i.keyword == "RUN" and ".redis-rundeps" in i.logical)
    operations = list(package_operations(dockerfile, build))
    assert [(op.action, op.virtual, op.libraries_only, op.certain) for op in operations] == [
        ("install", ".build-deps", False, True), ("install", ".redis-rundeps", True, True),
        ("remove", None, False, True),
    ]  # fmt: skip
    assert "wget" in operations[0].packages and operations[2].packages == (".build-deps",)


@needs_corpus
@pytest.mark.corpus
def test_awesome_compose_heredocs() -> None:
    # flask/app/Dockerfile lines 17-20: RUN <<EOF / apk update / apk add git / EOF;
    # wasmedge-mysql-nginx/backend/Dockerfile lines 5-12: RUN <<EOT bash with set -ex and a
    # continued `apt-get install -y git clang`.
    flask = corpus_file("docker__awesome-compose/flask/app/Dockerfile")
    assert [(op.packages, op.certain) for op in run_ops(flask, 17)] == [(("git",), True)]
    wasm = corpus_file("docker__awesome-compose/wasmedge-mysql-nginx/backend/Dockerfile")
    (op,) = run_ops(wasm, 5)
    assert (op.manager, op.packages, op.certain) == ("apt-get", ("git", "clang"), True)
    text = wasm.source.text
    assert [text[w.start : w.end] for w in op.words] == ["git", "clang"]


@needs_corpus
@pytest.mark.corpus
def test_every_corpus_run_in_a_posix_shell_is_analysable() -> None:
    checked = 0
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file() and dockerfile_kind(p.name)):
        source = SourceFile.from_bytes(path, path.read_bytes())
        dockerfile = parse_dockerfile(source)
        if dockerfile.problems:
            continue
        for instruction in dockerfile.instructions:
            if instruction.keyword != "RUN":
                continue
            analysis = analyze_run(dockerfile, instruction)
            if analysis.problem and "not a POSIX shell" in analysis.problem:
                continue
            assert analysis.analysable, (path, instruction.start_line, analysis.problem)
            for op in analysis.operations:
                for name, word in zip(op.packages, op.words, strict=True):
                    # Each package points at where it was written (a literal or the variable).
                    written = source.text[word.start : word.end]
                    assert name in written or "$" in written, (path, instruction.start_line, name, written)
            checked += 1
    assert checked > 400
