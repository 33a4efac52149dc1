"""Tests for mcplint.models.images: image references, the image knowledge base, package tables.

Expectations come from outside the module under test:

- the official Dockerfiles in ../shared/corpus, read with BuildKit's own parser (PyPI `dockerfile`):
  what a build installs, what it removes again, and what it smoke-tests at the end;
- Docker's reference grammar as documented in distribution/reference (`reference.go`);
- the Debian packages installed on this machine (`dpkg`), for the apt package table.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import dockerfile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcplint.models.images import (
    ImageRef,
    build_knowledge_base,
    image_facts,
    load_knowledge_base_document,
    parse_image_ref,
    programs_from_packages,
    tracked_programs,
)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
DOCUMENT = load_knowledge_base_document()
DIGEST = "sha256:" + "0123456789abcdef" * 4


def facts_for(reference: str):
    ref = parse_image_ref(reference)
    assert ref is not None, reference
    return image_facts(ref)


# --- Dockerfile reading helpers (the corpus is the oracle) ------------------------------------


def instructions(path: Path) -> list[tuple[str, str]]:
    commands = dockerfile.parse_file(str(path))
    return [(command.cmd.upper(), " ".join(command.value)) for command in commands]


def final_base(path: Path) -> str:
    return [value.split()[0] for cmd, value in instructions(path) if cmd == "FROM"][-1]


def run_segments(run: str) -> list[list[str]]:
    """Simple commands of a RUN line, as word lists (enough for apk/apt bookkeeping)."""
    return [segment.split() for segment in re.split(r"&&|\|\||;|\|", run) if segment.split()]


def apk_groups(run: str) -> tuple[list[tuple[str | None, list[str]]], list[str]]:
    """(virtual group or None, packages) for every `apk add`, and the groups `apk del` removes."""
    added: list[tuple[str | None, list[str]]] = []
    deleted: list[str] = []
    for words in run_segments(run):
        if words[:2] == ["apk", "add"]:
            group = None
            packages: list[str] = []
            rest = iter(words[2:])
            for word in rest:
                if word in ("--virtual", "-t"):
                    group = next(rest)
                elif not word.startswith("-"):
                    packages.append(word)
            added.append((group, packages))
        elif words[:2] == ["apk", "del"]:
            deleted.extend(word for word in words[2:] if not word.startswith("-"))
    return added, deleted


def removed_by_apt_purge(run: str, package: str) -> bool:
    """`apt-get install package`, `apt-mark auto '.*'`, `apt-get purge --auto-remove`, in order."""
    segments = run_segments(run)

    def first(predicate, start: int = 0) -> int | None:
        return next((i for i in range(start, len(segments)) if predicate(segments[i])), None)

    install = first(lambda w: w[:2] == ["apt-get", "install"] and package in w)
    if install is None:
        return False
    mark_auto = first(lambda w: w[:2] == ["apt-mark", "auto"] and "'.*'" in w, install)
    purge = first(lambda w: w[:2] == ["apt-get", "purge"] and "--auto-remove" in w, mark_auto or 0)
    named_manual = any(w[:2] == ["apt-mark", "manual"] and package in w for w in segments)
    return mark_auto is not None and purge is not None and not named_manual


# --- the corpus Dockerfiles decide the facts --------------------------------------------------


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize(
    "dockerfile_path",
    sorted((CORPUS / "nodejs__docker-node").glob("*/alpine*/Dockerfile")),
    ids=str,
)
def test_node_alpine_adds_curl_only_to_deleted_virtual_groups(dockerfile_path: Path) -> None:
    assert final_base(dockerfile_path).startswith("alpine:")
    curl_groups: list[str | None] = []
    for cmd, value in instructions(dockerfile_path):
        if cmd != "RUN":
            continue
        added, deleted = apk_groups(value)
        for group, packages in added:
            if "curl" in packages:
                curl_groups.append(group)
                assert group is not None and group in deleted, f"curl kept in {dockerfile_path}"
    assert curl_groups, "the build should fetch Node.js with curl"
    major = dockerfile_path.parent.parent.name
    facts = facts_for(f"node:{major}-{dockerfile_path.parent.name}")
    assert facts.has("curl") is False
    assert facts.has("wget") is True and "wget" in facts.busybox_applets
    assert facts.has("bash") is False
    assert facts.has("node") is True


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize(
    ("dockerfile_path", "reference"),
    [
        *[
            (path, f"node:{path.parent.parent.name}-{path.parent.name}")
            for path in sorted((CORPUS / "nodejs__docker-node").glob("*/*-slim/Dockerfile"))
        ],
        *[
            (path, f"python:{path.parent.parent.name}-{path.parent.name}")
            for path in sorted((CORPUS / "docker-library__python").glob("*/slim-*/Dockerfile"))
        ],
    ],
    ids=str,
)
def test_slim_images_purge_their_download_tools(dockerfile_path: Path, reference: str) -> None:
    assert re.fullmatch(r"debian:[a-z]+-slim", final_base(dockerfile_path))
    runs = [value for cmd, value in instructions(dockerfile_path) if cmd == "RUN"]
    for tool in ("curl", "wget"):
        installing = [
            run for run in runs if any(tool in w for w in run_segments(run) if "install" in w)
        ]
        survivors = [run for run in installing if not removed_by_apt_purge(run, tool)]
        assert survivors == [], f"{tool} survives in {dockerfile_path}"
    facts = facts_for(reference)
    assert facts.has("curl") is False
    assert facts.has("wget") is False
    assert facts.has("python3" if reference.startswith("python") else "node") is True


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize(
    "dockerfile_path",
    sorted((CORPUS / "docker-library__postgres").glob("*/alpine*/Dockerfile")),
    ids=str,
)
def test_postgres_alpine_builds_client_programs_and_keeps_bash(dockerfile_path: Path) -> None:
    runs = [value for cmd, value in instructions(dockerfile_path) if cmd == "RUN"]
    assert any("make install-world-bin" in run for run in runs)
    kept = []
    for run in runs:
        added, deleted = apk_groups(run)
        kept += [name for group, packages in added if group not in deleted for name in packages]
    assert "bash" in kept
    facts = facts_for(tag_from_layout("postgres", dockerfile_path))
    assert facts.has("pg_isready") and facts.has("psql") and facts.has("bash")
    assert facts.has("curl") is False


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize(
    "dockerfile_path",
    sorted(
        path
        for path in (CORPUS / "docker-library__postgres").glob("*/*/Dockerfile")
        if "alpine" not in path.parent.name
    ),
    ids=str,
)
def test_postgres_debian_installs_the_server_with_its_client_on_path(dockerfile_path: Path) -> None:
    steps = instructions(dockerfile_path)
    envs = [value for cmd, value in steps if cmd == "ENV"]
    runs = [value for cmd, value in steps if cmd == "RUN"]
    assert any("/usr/lib/postgresql/$PG_MAJOR/bin" in value for value in envs)
    assert any('"postgresql-$PG_MAJOR=$PG_VERSION"' in value for value in runs)
    assert any(cmd == "RUN" and removed_by_apt_purge(value, "wget") for cmd, value in steps)
    facts = facts_for(tag_from_layout("postgres", dockerfile_path))
    assert facts.has("pg_isready") and facts.has("psql")
    assert facts.has("wget") is False and facts.has("curl") is False


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg is not available")
def test_debian_postgresql_client_package_ships_pg_isready() -> None:
    """Oracle for 'postgresql-NN brings pg_isready': Debian's own file lists on this machine."""
    listing = subprocess.run(
        ["dpkg", "-S", "/usr/lib/postgresql/15/bin/pg_isready"], capture_output=True, text=True
    )
    if listing.returncode != 0:
        pytest.skip("postgresql-client-15 is not installed here")
    assert listing.stdout.startswith("postgresql-client-15:")
    assert programs_from_packages("apt", ["postgresql-client-15"]) >= {"pg_isready", "psql"}


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize(
    "dockerfile_path", sorted((CORPUS / "docker-library__redis").glob("*/*/Dockerfile")), ids=str
)
def test_redis_images_smoke_test_redis_cli_after_removing_tools(dockerfile_path: Path) -> None:
    runs = [value for cmd, value in instructions(dockerfile_path) if cmd == "RUN"]
    build = next(run for run in runs if "redis-cli --version" in run)
    removal = max(build.rfind("apk del"), build.rfind("apt-get purge"))
    assert 0 <= removal < build.index("redis-cli --version")
    variant = "" if dockerfile_path.parent.name == "debian" else "-alpine"
    facts = facts_for(f"redis:{dockerfile_path.parent.parent.name}{variant}")
    assert facts.has("redis-cli") is True
    assert facts.has("curl") is False


def corpus_dockerfile_evidence() -> list[tuple[str, Path]]:
    return [
        (raw["key"], CORPUS / item.removeprefix("corpus:"))
        for raw in DOCUMENT["images"]
        for item in raw["evidence"]
        if item.startswith("corpus:") and item.endswith("Dockerfile")
    ]


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize(("key", "dockerfile_path"), corpus_dockerfile_evidence(), ids=str)
def test_corpus_evidence_agrees_with_entry(key: str, dockerfile_path: Path) -> None:
    """No evidence Dockerfile sets a HEALTHCHECK; its base image resolves to the entry's parent."""
    raw = next(raw for raw in DOCUMENT["images"] if raw["key"] == key)
    steps = instructions(dockerfile_path)
    assert all(cmd != "HEALTHCHECK" for cmd, _ in steps)
    assert image_facts_by_key(key).healthcheck is False
    if "from" in raw:
        base = image_facts(parse_image_ref(final_base(dockerfile_path)))
        assert base is not None and base.image == raw["from"], final_base(dockerfile_path)


def tag_from_layout(repository: str, dockerfile_path: Path) -> str:
    """`<version>/<variant>/Dockerfile` is published as `<repository>:<version>-<variant>`."""
    return f"{repository}:{dockerfile_path.parent.parent.name}-{dockerfile_path.parent.name}"


def image_facts_by_key(key: str):
    kb = build_knowledge_base(DOCUMENT)
    return next(entry.facts for entry in kb.entries if entry.key == key)


# --- the data file itself --------------------------------------------------------------------


def test_every_entry_names_evidence_of_a_known_kind() -> None:
    for raw in DOCUMENT["images"]:
        assert raw["evidence"], raw["key"]
        for item in raw["evidence"]:
            kind, _, where = item.partition(":")
            assert kind in {"corpus", "github", "url"} and where, item
            if kind == "github":
                assert re.fullmatch(r"[\w.-]+/[\w.-]+/[^@\s]+(@[0-9a-f]{40})?", where), item
            if kind == "url":
                assert where.startswith("https://"), item


@needs_corpus
@pytest.mark.corpus
def test_every_corpus_evidence_path_exists() -> None:
    paths = [
        item.removeprefix("corpus:")
        for raw in DOCUMENT["images"]
        for item in raw["evidence"]
        if item.startswith("corpus:")
    ]
    paths += [
        item.removeprefix("corpus:")
        for item in DOCUMENT["packages"]["evidence"]
        if item.startswith("corpus:")
    ]
    assert paths
    missing = [path for path in paths if not (CORPUS / path).is_file()]
    assert missing == []


def test_inconsistent_documents_are_rejected() -> None:
    def variant(**changes):
        image = {**DOCUMENT["images"][1], **changes}
        return {**DOCUMENT, "images": [DOCUMENT["images"][0], image]}

    with pytest.raises(ValueError, match="no evidence"):
        build_knowledge_base(variant(evidence=[]))
    with pytest.raises(ValueError, match="untracked"):
        build_knowledge_base(variant(programs=["sh", "frobnicate"]))
    with pytest.raises(ValueError, match="unknown entry"):
        build_knowledge_base(variant(**{"from": "nonexistent:*"}))
    with pytest.raises(ValueError, match="cycle"):
        build_knowledge_base(variant(**{"from": DOCUMENT["images"][1]["key"]}))


# --- lookups ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "present", "absent"),
    [
        ("node:18-alpine", {"sh", "wget", "nc", "node"}, {"curl", "bash"}),
        ("node:20-alpine3.19", {"wget", "node"}, {"curl"}),
        ("node:lts-alpine", {"wget", "node"}, {"curl"}),
        ("node:18", {"curl", "wget", "bash", "node", "ps"}, {"nc"}),
        ("node:20.11.1-bookworm", {"curl", "wget", "node"}, set()),
        ("node:18-bullseye-slim", {"node", "bash"}, {"curl", "wget"}),
        ("python:3.12-slim", {"python", "python3", "sh"}, {"curl", "wget"}),
        ("python:3.12-slim-bookworm", {"python3"}, {"curl", "wget"}),
        ("python:3.12", {"python3", "curl", "wget"}, set()),
        ("python:3.11-alpine", {"python3", "wget"}, {"curl", "bash"}),
        ("postgres:15-alpine", {"pg_isready", "psql", "bash", "wget"}, {"curl"}),
        ("postgres:16", {"pg_isready", "psql"}, {"curl", "wget", "ps"}),
        ("postgres", {"pg_isready"}, {"curl"}),
        ("redis:7.2-alpine", {"redis-cli", "wget"}, {"curl"}),
        ("redis:7", {"redis-cli"}, {"curl", "wget"}),
        ("nginx:1.25", {"nginx", "curl"}, {"wget"}),
        ("nginx:alpine", {"nginx", "curl", "wget"}, set()),
        ("nginx:1.27-alpine-slim", {"nginx", "wget"}, {"curl"}),
        ("httpd:2.4", {"httpd"}, {"curl", "wget"}),
        ("mysql:8.4", {"mysqladmin", "mysql", "bash", "curl"}, {"mariadb-admin"}),
        ("mariadb:11.4", {"mariadb-admin", "healthcheck.sh"}, {"mysqladmin", "mysql", "curl"}),
        ("mongo:7.0", {"mongosh"}, {"mongo", "curl"}),
        ("mongo:4.4", {"mongo"}, {"mongosh"}),
        ("traefik:v3.1", {"traefik", "wget"}, {"curl"}),
        ("traefik:v1.7", {"traefik"}, {"sh", "wget"}),
        ("php:8.3-fpm-alpine", {"php", "curl"}, {"bash"}),
        ("wordpress:6.5-php8.3-apache", {"php", "curl"}, set()),
        ("eclipse-temurin:21", {"java", "curl", "wget"}, set()),
        ("grafana/grafana:11.0.0", {"curl", "bash", "wget"}, set()),
        ("busybox", {"sh", "wget", "nc"}, {"curl", "bash"}),
        ("alpine:3.20", {"sh", "wget", "nc", "ps"}, {"curl", "bash", "python3"}),
        ("debian:bookworm-slim", {"sh", "bash"}, {"curl", "wget", "ps", "nc"}),
        ("docker.io/library/node:18-alpine", {"node"}, {"curl"}),
    ],
)
def test_lookup_table(reference: str, present: set[str], absent: set[str]) -> None:
    facts = facts_for(reference)
    assert facts is not None, reference
    assert {program for program in present if facts.has(program) is not True} == set()
    assert {program for program in absent if facts.has(program) is not False} == set()


def test_images_without_shell() -> None:
    shell_less = (
        "gcr.io/distroless/nodejs20",
        "gcr.io/distroless/static-debian12:nonroot",
        "scratch",
    )
    for reference in shell_less:
        facts = facts_for(reference)
        assert facts.shell is None and facts.has("sh") is False, reference
    assert facts_for("scratch").programs == frozenset()
    assert facts_for("gcr.io/distroless/nodejs20-debian12:debug").shell == "/bin/sh"


@pytest.mark.parametrize(
    "reference",
    [
        "myorg/app:1",
        "redis:alpine",  # latest Redis is newer than the evidence
        "node:18-onbuild",  # a variant the knowledge base has no entry for
        "python:3.12-nanoserver-ltsc2022",
        "ghcr.io/library/node:18",  # same name, another registry
        "node@" + DIGEST,
    ],
)
def test_unknown_images_stay_unknown(reference: str) -> None:
    assert facts_for(reference) is None


def test_untracked_and_unsettled_programs_are_unknown() -> None:
    assert facts_for("node:18-alpine").has("yarn") is None  # not tracked at all
    assert facts_for("node:18").has("python3") is None  # tracked, but unsettled for buildpack-deps
    assert "curl" in tracked_programs()


# --- references: distribution/reference grammar -------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("node", ImageRef("docker.io", "library/node", None, None)),
        ("node:18-alpine", ImageRef("docker.io", "library/node", "18-alpine", None)),
        ("docker.io/node", ImageRef("docker.io", "library/node", None, None)),
        ("index.docker.io/library/node:18", ImageRef("docker.io", "library/node", "18", None)),
        ("bitnami/redis:7.2", ImageRef("docker.io", "bitnami/redis", "7.2", None)),
        ("localhost/img", ImageRef("localhost", "img", None, None)),
        ("localhost:5000/img", ImageRef("localhost:5000", "img", None, None)),
        ("localhost:5000/img:tag", ImageRef("localhost:5000", "img", "tag", None)),
        (
            f"registry.example.com:443/a/b:tag@{DIGEST}",
            ImageRef("registry.example.com:443", "a/b", "tag", DIGEST),
        ),
        ("gcr.io/distroless/nodejs20", ImageRef("gcr.io", "distroless/nodejs20", None, None)),
        ("Registry.Example.com/app", ImageRef("Registry.Example.com", "app", None, None)),
        ("[::1]:5000/img:v1", ImageRef("[::1]:5000", "img", "v1", None)),
        (f"node@{DIGEST}", ImageRef("docker.io", "library/node", None, DIGEST)),
        ("a__b/c--d.e_f:_tag", ImageRef("docker.io", "a__b/c--d.e_f", "_tag", None)),
        ("0" * 64 + ":latest", ImageRef("docker.io", "library/" + "0" * 64, "latest", None)),
    ],
)
def test_valid_references(reference: str, expected: ImageRef) -> None:
    assert parse_image_ref(reference) == expected


@pytest.mark.parametrize(
    "reference",
    [
        "",
        "Node",  # repository names must be lowercase
        "myorg/App:1",
        "localhost:5000/Img",
        "${IMAGE}",
        "node:${TAG}",
        "$REGISTRY/node",
        "node:",
        ":18",
        "-node",
        "node:-tag",  # a tag starts with a word character
        "node:" + "a" * 129,  # tags are at most 128 characters
        "a___b",  # only one or two underscores separate components
        "node@sha256:abc",  # a sha256 digest has 64 hex digits
        "node@sha256:" + "A" * 64,  # go-digest accepts lowercase hex only
        "node@md5:" + "0" * 32,  # not an available digest algorithm
        "0" * 64,  # an image ID, not a name
        "host:port/img",  # a port is numeric
        "a/" + "b" * 254,  # names are at most 255 characters
    ],
)
def test_invalid_references(reference: str) -> None:
    assert parse_image_ref(reference) is None


_components = st.from_regex(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*", fullmatch=True).filter(
    lambda component: len(component) < 30
)
_domains = st.sampled_from(["localhost:5000", "registry.example.com", "gcr.io", "r.io:443"])
_tags = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    domain=st.none() | _domains,
    path=st.lists(_components, min_size=1, max_size=3),
    tag=st.none() | _tags,
)
def test_references_built_from_the_grammar_round_trip(domain, path, tag) -> None:
    name = "/".join(path)
    text = (f"{domain}/" if domain else "") + name + (f":{tag}" if tag else "")
    parsed = parse_image_ref(text)
    if not domain and (path[0] == "localhost" or "." in path[0]) and len(path) > 1:
        return  # the first component reads as a registry; covered by the table above
    assert parsed is not None, text
    assert parsed.tag == tag
    expected_name = name if domain or len(path) > 1 else f"library/{name}"
    assert parsed.name == expected_name
    assert parsed.registry == (domain or "docker.io")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abc:/.${}ABC-_@0", max_size=20))
def test_variables_and_uppercase_paths_never_parse(text: str) -> None:
    parsed = parse_image_ref(text)
    if parsed is not None:
        assert "$" not in text and "{" not in text
        assert parsed.name == parsed.name.lower()


# --- package tables -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("manager", "packages", "expected"),
    [
        ("apk", ["curl"], {"curl"}),
        ("apk", ["--no-cache", "curl=8.9.1-r0"], {"curl"}),
        ("apk", ["postgresql15-client", "bash"], {"psql", "pg_isready", "bash"}),
        ("apk", ["ca-certificates", "tzdata"], set()),
        ("apt", ["netcat-openbsd", "procps"], {"nc", "ps"}),
        ("apt-get", ["curl:amd64", "wget=1.21.3-1+deb12u1"], {"curl", "wget"}),
        ("apt", ["default-mysql-client"], {"mysql", "mysqladmin", "mariadb", "mariadb-admin"}),
        ("apt", ["postgresql-client-16", "redis-tools"], {"psql", "pg_isready", "redis-cli"}),
        ("dnf", ["nmap-ncat", "procps-ng"], {"nc", "ps"}),
        ("microdnf", ["curl-minimal-7.76.1-29.el9.x86_64"], {"curl"}),
        ("yum", ["wget"], {"wget"}),
        # The other tools of a package database read the same names: tdnf (Photon), rpm, dpkg, apt-mark.
        ("tdnf", ["curl"], {"curl"}),
        ("rpm", ["wget-1.21.1-8.el9.x86_64"], {"wget"}),
        ("dpkg", ["netcat-openbsd"], {"nc"}),
        ("apt-mark", ["procps"], {"ps"}),
        ("pacman", ["curl"], set()),  # unknown package manager: nothing counts
    ],
)
def test_programs_from_packages(manager: str, packages: list[str], expected: set[str]) -> None:
    assert programs_from_packages(manager, packages) == expected


# Where Debian packages put programs; /usr/local and version managers (pyenv, nvm) are not theirs.
_DEBIAN_PACKAGE_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def _dpkg_owners(path: str) -> set[str]:
    owners: set[str] = set()
    for candidate in {path, str(Path(path).resolve()), path.replace("/usr/bin/", "/bin/")}:
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            owners |= {line.split(":")[0] for line in result.stdout.splitlines()}
    return owners


def _installed_packages(key: str) -> list[str]:
    """The installed packages a table key names (dpkg-query reads the same `*` globs)."""
    result = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Status}\n", key], capture_output=True, text=True)
    lines = (line.split("\t") for line in result.stdout.splitlines())
    return [fields[0] for fields in lines if len(fields) == 2 and fields[1] == "install ok installed"]


def _dpkg_closure(package: str) -> set[str]:
    """The package and every package it depends on, directly or not (apt installs them all)."""
    found = {package}
    pending = [package]
    while pending:
        for dependency in _dpkg_dependencies(pending.pop()) - found:
            found.add(dependency)
            pending.append(dependency)
    return found


def _dpkg_dependencies(package: str) -> set[str]:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", package],
        capture_output=True,
        text=True,
    )
    alternatives = [part.strip() for part in re.split(r"[,|]", result.stdout) if part.strip()]
    return {re.split(r"[\s:(]", alternative)[0] for alternative in alternatives}


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="dpkg is not available")
def test_apt_table_matches_installed_debian_packages() -> None:
    """Each installed package (or one it depends on) owns the program file it is said to provide."""
    checked = 0
    for key, programs in DOCUMENT["packages"]["apt"].items():
        for package in _installed_packages(key):
            providers = _dpkg_closure(package)
            for program in programs:
                location = shutil.which(program, path=_DEBIAN_PACKAGE_PATH)
                assert location is not None, f"{package} should put {program} on PATH"
                assert _dpkg_owners(location) & providers, (package, program, location)
                checked += 1
    if checked == 0:
        pytest.skip("none of the tabled Debian packages is installed here")
