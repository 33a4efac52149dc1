"""Programs in a stage's final image: base image facts, then the stage's RUN and COPY in order.

Expectations come from the image knowledge base (mcplint/data/images.json, each entry with its own
evidence; read here through `image_facts`), from the package managers' documented behaviour
(apk-del(8): deleting a virtual package removes what only it pulled in; apt-get(8)/apt-mark(8):
`purge --auto-remove` removes auto-marked packages nothing needs), from the Dockerfile reference
(ONBUILD, COPY --from, multi-stage FROM) and, for the corpus, from reading the official Dockerfiles
(each test says what the file does); the official images' knowledge-base entries give an
independent second reading that our analysis must never contradict.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mcplint.models.dockerfile import Dockerfile, parse_dockerfile
from mcplint.models.image_contents import ProgramSet, program_available, stage_programs
from mcplint.models.images import (
    ImageFacts,
    image_facts,
    parse_image_ref,
    tracked_programs,
)
from mcplint.source import SourceFile

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus is absent ({CORPUS}): these cases read real Dockerfiles")


def model(text: str) -> Dockerfile:
    return parse_dockerfile(SourceFile(Path("Dockerfile"), text))


def programs(text: str, stage: int = -1, build_args: dict[str, str] | None = None) -> ProgramSet:
    dockerfile = model(text)
    return stage_programs(dockerfile, dockerfile.stages[stage], build_args)


def facts(reference: str) -> ImageFacts:
    found = image_facts(parse_image_ref(reference))
    assert found is not None, reference
    return found


# ------------------------------------------------------------------------------- the brief's cases


def test_node_alpine_has_no_curl() -> None:
    result = programs("FROM node:18-alpine\nHEALTHCHECK CMD curl -f http://localhost:3000/health || exit 1\n")
    assert facts("node:18-alpine").has("curl") is False
    assert program_available(result, "curl") is False
    assert program_available(result, "wget") is facts("node:18-alpine").has("wget")
    assert not result.unknown and result.base is not None
    assert any("knowledge base" in line and "curl" in line for line in result.why("curl"))


@pytest.mark.parametrize(
    ("base", "install"),
    [
        ("debian:bookworm-slim", "apt-get install -y curl=7.88.1-10+deb12u8"),
        ("alpine:3.20", "apk add curl=8.9.1-r1"),
        ("fedora:40", "dnf install -y curl-8.6.0-10.fc40.x86_64"),
    ],
)
def test_a_pinned_package_is_the_package_it_pins(base: str, install: str) -> None:
    # Each manager's own pin syntax (apt-get(8) `pkg=version`, apk `pkg=version`, rpm NEVRA): the
    # pin names the package the table knows, so it is neither unknown nor a program of its own name.
    result = programs(f"FROM {base}\nRUN {install}\n")
    assert program_available(result, "curl") is True
    assert result.unmapped_packages == ()


def test_apk_add_makes_curl_present() -> None:
    result = programs("FROM node:18-alpine\nRUN apk add --no-cache curl\n")
    assert program_available(result, "curl") is True
    assert "RUN apk add curl at line 2: adds curl" in result.why("curl")


def test_a_deleted_virtual_group_takes_curl_away() -> None:
    result = programs(
        "FROM node:18-alpine\nRUN apk add --no-cache --virtual .d curl \\\n && curl -fsSLo /tmp/x https://example.com/x \\\n && apk del .d\n"
    )
    assert program_available(result, "curl") is False


def test_deleting_a_group_keeps_what_the_world_still_names() -> None:
    # apk-add(8) --virtual: "apk del NAME" undoes the group "without removing packages that were
    # installed earlier" (here curl, added on its own first).
    result = programs("FROM alpine:3.19\nRUN apk add curl && apk add --virtual .d curl jq && apk del .d\n")
    assert program_available(result, "curl") is True


def test_busybox_applets_come_back_after_gnu_wget_is_removed() -> None:
    # images.json alpine:*: wget is a busybox applet, and busybox's trigger re-creates applet links
    # when a package that shadowed one is removed (redis:alpine installs GNU wget this way).
    assert "wget" in facts("alpine:3.19").busybox_applets
    assert program_available(programs("FROM alpine:3.19\nRUN apk add --virtual .d wget && apk del .d\n"), "wget") is True
    assert program_available(programs("FROM alpine:3.19\nRUN apk add wget && apk del wget\n"), "wget") is True


def test_unknown_base_is_never_guessed() -> None:
    result = programs("FROM registry.example.com/team/app:1.2\nRUN echo hi\n")
    assert result.unknown and result.base is None
    assert program_available(result, "curl") is None and program_available(result, "sh") is None
    # What the Dockerfile itself installs is still known.
    installed = programs("FROM registry.example.com/team/app:1.2\nRUN apk add --no-cache curl\n")
    assert program_available(installed, "curl") is True and installed.unknown


def test_a_stage_inherits_the_programs_of_the_stage_it_is_built_from() -> None:
    text = "FROM node:18-alpine AS build\nRUN apk add --no-cache curl\nFROM build AS final\nRUN echo done\nFROM node:18-alpine\n"
    assert program_available(programs(text, 1), "curl") is True
    assert program_available(programs(text, 2), "curl") is False


def test_copy_of_busybox_from_an_image() -> None:
    text = "FROM gcr.io/distroless/static:nonroot\nCOPY --from=busybox:1.36 /bin/busybox /bin/busybox\n"
    result = programs(text)
    assert program_available(result, "busybox") is True
    # The binary alone creates no applet links: wget stays as distroless has it (absent).
    assert program_available(result, "wget") is facts("gcr.io/distroless/static:nonroot").has("wget") is False


# ---------------------------------------------------------------------------------- apt removals


def test_apt_purge_removes_a_program_the_base_had() -> None:
    assert facts("node:18").has("curl") is True
    assert program_available(programs("FROM node:18\nRUN apt-get purge -y curl\n"), "curl") is False


def test_saved_apt_mark_keeps_the_base_and_drops_the_build_tools() -> None:
    dance = (
        "FROM python:3.12-slim\nRUN set -eux; savedAptMark=\"$(apt-mark showmanual)\"; apt-get update; "
        "apt-get install -y --no-install-recommends curl; curl --version; apt-mark auto '.*' > /dev/null; "
        "apt-mark manual $savedAptMark; apt-get purge -y --auto-remove\n"
    )
    result = programs(dance)
    assert program_available(result, "curl") is False
    assert facts("python:3.12-slim").has("bash") is True
    assert program_available(result, "bash") is True
    # Without the restore, apt may remove the base's own packages too: bash is no longer certain.
    careless = programs(
        "FROM python:3.12-slim\nRUN apt-get install -y curl && apt-mark auto '.*' && apt-get purge -y --auto-remove\n"
    )
    assert program_available(careless, "curl") is False
    assert program_available(careless, "bash") is None


def test_packages_installed_before_the_save_survive_the_purge() -> None:
    text = (
        "FROM python:3.12-slim\nRUN apt-get install -y curl\n"
        "RUN savedAptMark=\"$(apt-mark showmanual)\"; apt-get install -y wget; apt-mark auto '.*'; "
        "apt-mark manual $savedAptMark; apt-get purge -y --auto-remove\n"
    )
    result = programs(text)
    assert program_available(result, "curl") is True and program_available(result, "wget") is False


# ------------------------------------------------------------------------------------ uncertainty


def test_conditional_installs_are_uncertain() -> None:
    result = programs('FROM node:18-alpine\nRUN if [ "$TARGETARCH" = amd64 ]; then apk add --no-cache curl; fi\n')
    assert program_available(result, "curl") is None
    assert "curl" in result.uncertain


def test_an_unknown_package_list_makes_the_answer_unsafe() -> None:
    result = programs("FROM node:18-alpine\nRUN apk add --no-cache $PACKAGES\n")
    assert result.unknown and program_available(result, "curl") is None


def test_an_installer_the_analysis_cannot_read_leaves_what_it_names_open() -> None:
    # The script's name mentions node: what it installs is not known, so node is not called absent.
    result = programs("FROM alpine:3.19\nRUN wget -qO- https://example.com/install-node.sh | sh\n")
    assert program_available(result, "node") is None
    assert program_available(result, "curl") is False


def test_an_unmapped_package_of_a_known_family_is_not_taken_as_bringing_nothing() -> None:
    # postgresql-plpython3-15 depends on postgresql-15 and so on postgresql-client-15 (pg_isready);
    # the table does not list it, so it leaves pg_isready open instead of absent.
    result = programs("FROM debian:bookworm-slim\nRUN apt-get install -y postgresql-plpython3-15\n")
    assert program_available(result, "pg_isready") is None
    assert "postgresql-plpython3-15" in result.unmapped_packages


def test_a_server_package_brings_the_client_it_depends_on() -> None:
    # apt-cache depends: postgresql-15 -> postgresql-client-15; mariadb-server -> mariadb-client.
    result = programs("FROM debian:bookworm-slim\nRUN apt-get install -y postgresql-15 mariadb-server npm\n")
    assert [program_available(result, p) for p in ("pg_isready", "mysqladmin", "node")] == [True, True, True]
    assert result.unmapped_packages == ()


def test_a_program_run_by_the_build_is_present_at_that_point() -> None:
    result = programs("FROM debian:bookworm-slim\nRUN set -e; ./install.sh; mytool --version\n")
    assert program_available(result, "mytool") is True


def test_files_placed_on_the_path() -> None:
    text = (
        "FROM alpine:3.19\nCOPY healthcheck.sh /usr/local/bin/\nWORKDIR /usr/bin\nCOPY ./scripts/probe .\n"
        "RUN wget -O /usr/local/bin/grpc_health_probe https://example.com/probe\nCOPY notes.txt /opt/\n"
    )
    result = programs(text)
    assert {"healthcheck.sh", "probe", "grpc_health_probe"} <= result.present
    assert "notes.txt" not in result.present
    assert program_available(programs("FROM scratch\nCOPY --from=busybox:1.36 /bin/busybox /busybox\n"), "busybox") is None


def test_a_directory_copied_over_the_path_may_bring_what_its_source_has() -> None:
    text = "FROM alpine:3.19 AS tools\nRUN apk add --no-cache curl\nFROM alpine:3.19\nCOPY --from=tools /usr /usr\n"
    result = programs(text)
    assert program_available(result, "curl") is None
    assert program_available(result, "node") is False and not result.unknown
    unknown_source = programs("FROM alpine:3.19\nCOPY rootfs/ /\n")
    assert unknown_source.unknown and program_available(unknown_source, "curl") is None


def test_copy_from_a_repeated_stage_name_reads_the_last_stage_of_that_name() -> None:
    # BuildKit's map of stage names is overwritten in order: `--from=tools` is the second `tools`.
    text = (
        "FROM alpine:3.19 AS tools\nRUN apk add --no-cache curl\nFROM alpine:3.19 AS tools\nRUN apk add --no-cache jq\n"
        "FROM alpine:3.19\nCOPY --from=tools /usr /usr\n"
    )
    assert program_available(programs(text), "curl") is False


def test_onbuild_triggers_run_in_the_child_stage() -> None:
    # Reference, ONBUILD: the trigger runs when the image is used as the base of another build.
    text = "FROM alpine:3.19 AS base\nONBUILD RUN apk add --no-cache curl\nFROM base\n"
    assert program_available(programs(text, 0), "curl") is False
    assert program_available(programs(text, 1), "curl") is True


def test_build_args_choose_the_base() -> None:
    text = "ARG BASE=node:18-alpine\nFROM $BASE\n"
    assert program_available(programs(text), "node") is True
    assert program_available(programs(text, build_args={"BASE": "python:3.12-slim"}), "node") is False


def test_non_posix_shell_runs_are_unbounded() -> None:
    result = programs('FROM alpine:3.19\nSHELL ["/usr/bin/pwsh", "-c"]\nRUN Install-Tool\n')
    assert result.unknown and program_available(result, "curl") is None


def test_present_absent_and_uncertain_partition_the_tracked_programs() -> None:
    result = programs('FROM node:18-alpine\nRUN if [ -f /x ]; then apk add curl; fi; apk add bash\n')
    tracked = tracked_programs()
    assert (result.present & tracked) | result.absent | result.uncertain == tracked
    assert not (result.present & result.absent) and not (result.absent & result.uncertain)


# ------------------------------------------------------------------------------------- the corpus


def corpus_programs(relative: str, cut_after: str | None = None) -> ProgramSet:
    """The final stage of a corpus Dockerfile, optionally only up to the RUN containing `cut_after`."""
    path = CORPUS / relative
    source = SourceFile.from_bytes(path, path.read_bytes())
    dockerfile = parse_dockerfile(source)
    if cut_after is not None:
        instruction = next(i for i in dockerfile.instructions if cut_after in i.logical)
        dockerfile = parse_dockerfile(source.with_text(source.text[: instruction.end] + "\n"))
    return stage_programs(dockerfile, dockerfile.stages[-1])


def corpus_paths(pattern: str) -> list[str]:
    return sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob(pattern)) if CORPUS.is_dir() else []


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("relative", corpus_paths("nodejs__docker-node/*/alpine*/Dockerfile"))
def test_node_alpine_images(relative: str) -> None:
    # FROM alpine; curl only in .build-deps (and .build-deps-yarn), both deleted; node unpacked
    # from a tarball and smoke-tested with `node --version` at the end of the first RUN.
    result = corpus_programs(relative)
    assert program_available(result, "curl") is False
    assert program_available(result, "node") is True
    assert program_available(result, "wget") is True  # alpine's busybox applet, never touched


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("relative", corpus_paths("docker-library__python/*/slim-*/Dockerfile"))
def test_python_slim_images(relative: str) -> None:
    # wget is installed to download the source, then purged by the savedAptMark dance;
    # `python3 --version` runs at the end of that RUN, after `make install`.
    result = corpus_programs(relative)
    assert program_available(result, "wget") is False
    assert program_available(result, "curl") is False
    assert program_available(result, "python3") is True
    assert program_available(result, "bash") is True  # debian:*-slim's, restored before the purge


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("relative", corpus_paths("docker-library__postgres/*/bookworm/Dockerfile"))
def test_postgres_keeps_what_it_needs(relative: str) -> None:
    # The gosu RUN installs ca-certificates and wget, then marks everything auto, restores the
    # saved manual list (gnupg, less from the previous RUN and the base's packages) and purges:
    # wget goes, bash (the postgres user's shell) stays.
    after_gosu = corpus_programs(relative, cut_after="gosu nobody true")
    assert program_available(after_gosu, "wget") is False
    assert program_available(after_gosu, "bash") is True
    # The whole file: bash still there; postgresql-$PG_MAJOR (not in the package table, but of the
    # postgresql family) leaves pg_isready and psql open, never absent; the source-build arm for
    # other architectures runs `apt-get build-dep`, whose packages are unknown.
    result = corpus_programs(relative)
    assert program_available(result, "bash") is True
    assert program_available(result, "pg_isready") is not False
    assert program_available(result, "psql") is not False


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("relative", corpus_paths("docker-library__redis/*/alpine/Dockerfile"))
def test_redis_alpine_images(relative: str) -> None:
    # GNU wget comes in .build-deps and goes with it: busybox's wget is back. redis-cli is built
    # from source and smoke-tested (`redis-cli --version`) at the end of the build RUN.
    result = corpus_programs(relative)
    assert program_available(result, "wget") is True
    assert program_available(result, "redis-cli") is True
    assert program_available(result, "curl") is False


# Official Dockerfiles and the tag they are published as (the Dockerfile's directory).
PUBLISHED = [
    ("nodejs__docker-node/22/alpine3.23/Dockerfile", "node:22-alpine3.23"),
    ("nodejs__docker-node/24/alpine3.24/Dockerfile", "node:24-alpine3.24"),
    ("docker-library__python/3.12/slim-bookworm/Dockerfile", "python:3.12-slim-bookworm"),
    ("docker-library__python/3.13/slim-trixie/Dockerfile", "python:3.13-slim-trixie"),
    ("docker-library__redis/7.2/alpine/Dockerfile", "redis:7.2-alpine"),
    ("docker-library__redis/7.2/debian/Dockerfile", "redis:7.2-bookworm"),
    ("docker-library__postgres/17/bookworm/Dockerfile", "postgres:17-bookworm"),
    ("docker-library__postgres/17/alpine3.23/Dockerfile", "postgres:17-alpine3.23"),
]


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize(("relative", "tag"), PUBLISHED)
def test_analysis_never_contradicts_the_knowledge_base(relative: str, tag: str) -> None:
    result = corpus_programs(relative)
    published = facts(tag)
    settled = 0
    for program in sorted(tracked_programs()):
        ours, theirs = program_available(result, program), published.has(program)
        if ours is not None and theirs is not None:
            assert ours == theirs, (relative, program, result.why(program))
            settled += 1
    # postgres bookworm runs `apt-get build-dep` in its other-architectures arm: unknown packages,
    # so only what is present (bash, sh) is settled there; the others settle most programs.
    assert settled >= (2 if result.unknown else 10), (relative, settled)
    assert result.unknown == (tag == "postgres:17-bookworm")
