"""What official container images contain: image references and a knowledge base of their programs.

A healthcheck such as `curl -f http://localhost/` can only pass if the image has `curl`;
`node:18-alpine` does not. This module answers that question from `mcplint/data/images.json`, a
hand-kept table in which every fact names its evidence (a Dockerfile in `../shared/corpus`, an
upstream Dockerfile or manifest, or an issue thread).

Three pieces:

- `parse_image_ref` implements Docker's reference grammar (distribution/reference): an optional
  registry (`localhost:5000`, `registry.example.com:443`), a lowercase path, an optional tag and
  digest, normalised as `docker pull` does (`node` is `docker.io/library/node`).
- `image_facts` looks a reference up. Entries are keyed by repository and by the *variant tokens* of
  the tag: `3.12-slim-bookworm` is version `3.12` with tokens `{slim, bookworm}`, `18-alpine3.19` is
  version `18` with `{alpine}`. An entry requires some tokens (`*-alpine` requires `alpine`) and
  allows others (Debian codenames); a tag with a token the entry does not know matches nothing, so
  an image we have no evidence for stays unknown (`None`). Entries inherit (`from`) so that
  "node:*-alpine is alpine plus node" is written once.
- `programs_from_packages` maps package names installed with apk, apt (apt-get, apt-mark, dpkg) or
  dnf (yum, microdnf, tdnf, rpm) to the programs they put on PATH, so a user's `RUN apk add
  --no-cache curl` counts.

Facts are three-valued: a tracked program is present, absent, or unknown (`ImageFacts.has`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources
from typing import Any

DOCKER_HUB = "docker.io"
_LEGACY_HUB = "index.docker.io"
_OFFICIAL_NAMESPACE = "library/"
_MAX_NAME_LENGTH = 255

# distribution/reference regexp.go, written out piece by piece.
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN = rf"(?:{_DOMAIN_NAME}|{_IPV6})(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?"
)
_DOMAIN_ONLY = re.compile(_DOMAIN)
# go-digest validates the encoded part per algorithm: lowercase hex of a fixed length.
_DIGEST_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX = re.compile(r"[a-f0-9]+")
_IDENTIFIER = re.compile(r"[a-f0-9]{64}")

# A tag token that is a version: 18, 3.12, 1.25.3, v2.9, 21.0.5_11, 3.15.0rc1, 22.04.
_VERSION_TOKEN = re.compile(r"v?(?P<major>\d+)(?:\.\d+)*(?:[a-z]+\d*)?(?:_\d+)?")
# A variant token with a release number glued on: alpine3.19, ltsc2022, php8.3, oraclelinux9.
_NUMBERED_VARIANT = re.compile(r"(?P<word>[a-z]+)\d+(?:\.\d+)*")


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A parsed image reference, normalised the way the Docker CLI normalises it."""

    registry: str | None
    name: str
    tag: str | None
    digest: str | None

    @property
    def short_name(self) -> str:
        """The familiar name: `node`, `bitnami/redis`, `gcr.io/distroless/nodejs20`."""
        if self.registry in (None, DOCKER_HUB):
            return self.name.removeprefix(_OFFICIAL_NAMESPACE)
        return f"{self.registry}/{self.name}"


def parse_image_ref(ref: str) -> ImageRef | None:
    """Parse `ref` with Docker's reference grammar; `None` when Docker would reject it.

    Unexpanded variables (`${TAG}`), uppercase repository paths, bad digests and 64-hex-digit
    names (image IDs) are all rejected.
    """
    match = _REFERENCE.fullmatch(ref)
    if match is None or _IDENTIFIER.fullmatch(ref):
        return None
    full_name, tag, digest = match.group("name", "tag", "digest")
    if len(full_name) > _MAX_NAME_LENGTH:
        return None
    if digest is not None and not _valid_digest(digest):
        return None
    registry, name = _split_domain(full_name)
    if registry is None:
        return None
    if registry == DOCKER_HUB and "/" not in name:
        name = _OFFICIAL_NAMESPACE + name
    return ImageRef(registry=registry, name=name, tag=tag, digest=digest)


def _split_domain(full_name: str) -> tuple[str | None, str]:
    """Split off the registry the way distribution/reference's splitDockerDomain does."""
    first, slash, rest = full_name.partition("/")
    is_domain = slash and (
        any(char in first for char in ".:") or first == "localhost" or first.lower() != first
    )
    if not is_domain:
        # The path grammar already rejected uppercase letters outside a domain.
        return DOCKER_HUB, full_name
    if not _DOMAIN_ONLY.fullmatch(first):
        return None, full_name
    return (DOCKER_HUB if first == _LEGACY_HUB else first), rest


def _valid_digest(digest: str) -> bool:
    algorithm, _, encoded = digest.partition(":")
    expected = _DIGEST_HEX_LENGTH.get(algorithm)
    return expected == len(encoded) and bool(_LOWER_HEX.fullmatch(encoded))


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What one knowledge-base entry says about an image."""

    image: str
    programs: frozenset[str]
    shell: str | None
    healthcheck: bool
    family: str
    evidence: tuple[str, ...]
    unknown_programs: frozenset[str] = frozenset()
    busybox_applets: frozenset[str] = frozenset()

    def has(self, program: str) -> bool | None:
        """True or False where the evidence settles it; None for untracked or unsettled programs."""
        if program in self.programs:
            return True
        if program in self.unknown_programs or program not in tracked_programs():
            return None
        return False


@dataclass(frozen=True, slots=True)
class _TagShape:
    major: int | None
    tokens: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    repositories: tuple[str, ...]
    required: frozenset[str]
    allowed: frozenset[str]
    aliases: frozenset[str]
    major_min: int | None
    major_max: int | None
    facts: ImageFacts

    @property
    def version_bounded(self) -> bool:
        return self.major_min is not None or self.major_max is not None


@cache  # the same few references are asked about for every stage of every Dockerfile
def image_facts(ref: ImageRef) -> ImageFacts | None:
    """The facts for `ref`, or None when no entry fits it exactly (never a guess)."""
    if ref.tag is None and ref.digest is not None:
        return None  # a bare digest names some build we cannot identify
    tag = ref.tag or "latest"
    candidates: list[tuple[tuple[int, int, int], _Entry]] = []
    for entry in _knowledge_base().entries:
        pattern = _matching_repository(entry, ref.short_name)
        if pattern is None:
            continue
        shape = _tag_shape(tag, entry.aliases)
        if shape is None or not _fits(entry, shape):
            continue
        literal_length = len(pattern.replace("*", "").replace("?", ""))
        specificity = (len(entry.required), int(entry.version_bounded), literal_length)
        candidates.append((specificity, entry))
    if not candidates:
        return None
    candidates.sort(key=lambda item: item[0], reverse=True)
    if len(candidates) > 1 and candidates[0][0] == candidates[1][0]:
        return None  # two entries claim the tag equally: the data cannot decide
    return candidates[0][1].facts


def _matching_repository(entry: _Entry, short_name: str) -> str | None:
    matching = (pattern for pattern in entry.repositories if fnmatchcase(short_name, pattern))
    return next(matching, None)


def _tag_shape(tag: str, repository_aliases: frozenset[str]) -> _TagShape | None:
    """Split a tag into its leading version (or alias) and its set of variant tokens."""
    major: int | None = None
    tokens: set[str] = set()
    aliases = _knowledge_base().aliases | repository_aliases
    for token in tag.lower().split("-"):
        if not token:
            return None
        version = _VERSION_TOKEN.fullmatch(token)
        if version is not None:
            # Numbers after a variant word are build stamps (jammy-20240227, nanoserver-1809).
            if not tokens and major is None:
                major = int(version.group("major"))
            continue
        if token in aliases:
            continue
        numbered = _NUMBERED_VARIANT.fullmatch(token)
        tokens.add(numbered.group("word") if numbered else token)
    return _TagShape(major=major, tokens=frozenset(tokens))


def _fits(entry: _Entry, shape: _TagShape) -> bool:
    if not entry.required <= shape.tokens <= entry.required | entry.allowed:
        return False
    if shape.major is None:
        # `latest`, `lts`, `alpine`: only an entry open towards new releases can vouch for them.
        return entry.major_max is None
    if entry.major_min is not None and shape.major < entry.major_min:
        return False
    return entry.major_max is None or shape.major <= entry.major_max


def programs_from_packages(manager: str, packages: Iterable[str]) -> frozenset[str]:
    """Programs that installing `packages` with `manager` puts on PATH.

    Unknown packages and unknown package managers contribute nothing.
    """
    table = package_table(manager)
    programs: set[str] = set()
    for package in packages:
        for name in _package_name_candidates(manager, package):
            found = _lookup_package(table, name)
            if found is not None:
                programs |= found
                break
    return frozenset(programs)


# The table each package tool reads: the tools of one package database share its package names.
_PACKAGE_MANAGER_TABLE = {
    "apk": "apk",
    "apt": "apt", "apt-get": "apt", "apt-mark": "apt", "dpkg": "apt",
    "dnf": "dnf", "yum": "dnf", "microdnf": "dnf", "tdnf": "dnf", "rpm": "dnf",
}  # fmt: skip
# apk-world(5) constraints after a package name: `curl=8.9.1-r0`, `curl>8`, `curl@edge`.
APK_CONSTRAINT = re.compile(r"[=<>~@].*$")
_APT_SUFFIX = re.compile(r"(?:[=/].*|:[a-z0-9]+)$")
_RPM_VERSION = re.compile(r"-\d[\w.:~+-]*$")
# The architecture an RPM name may end with: `curl.x86_64`.
RPM_ARCH = re.compile(r"\.(?:x86_64|aarch64|noarch|i686|ppc64le|s390x)$")


def _package_name_candidates(manager: str, package: str) -> list[str]:
    """The package name without version pins or architecture, most literal first."""
    name = package.strip().lower()
    match package_family(manager):
        case "apk":
            return [APK_CONSTRAINT.sub("", name)]
        case "apt":
            return [_APT_SUFFIX.sub("", name)]
        case "dnf":
            without_arch = RPM_ARCH.sub("", name)
            return [without_arch, _RPM_VERSION.sub("", without_arch)]
    return []


def _lookup_package(table: Mapping[str, frozenset[str]], name: str) -> frozenset[str] | None:
    if name in table:
        return table[name]
    wildcards = (
        programs
        for pattern, programs in table.items()
        if "*" in pattern and fnmatchcase(name, pattern)
    )
    return next(wildcards, None)


def package_family(manager: str) -> str | None:
    """The table `manager` reads, named after its family's main tool: `apk`, `apt` (apt-get,
    apt-mark, dpkg) or `dnf` (yum, microdnf, tdnf, rpm); None for any other program."""
    return _PACKAGE_MANAGER_TABLE.get(manager)


def package_table(manager: str) -> Mapping[str, frozenset[str]]:
    """The table `manager` installs from (see `package_family`): package name or `*` pattern to the
    programs it puts on PATH. Empty for any other manager."""
    return _knowledge_base().packages.get(package_family(manager) or "", {})


def package_families() -> frozenset[str]:
    """Every family `package_family` names."""
    return frozenset(_PACKAGE_MANAGER_TABLE.values())


def package_known(manager: str, package: str) -> bool:
    """Whether the table says what `package` (version pins and architecture allowed) installs."""
    table = package_table(manager)
    return any(_lookup_package(table, name) is not None for name in _package_name_candidates(manager, package))


def tracked_programs() -> frozenset[str]:
    """The programs every entry decides on; about any other program the data says nothing."""
    return _knowledge_base().tracked


@dataclass(frozen=True, slots=True)
class _KnowledgeBase:
    tracked: frozenset[str]
    aliases: frozenset[str]
    entries: tuple[_Entry, ...]
    packages: Mapping[str, Mapping[str, frozenset[str]]]


def load_knowledge_base_document() -> dict[str, Any]:
    """The raw `images.json` document (for tests and documentation tools)."""
    text = resources.files("mcplint.data").joinpath("images.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@cache
def _knowledge_base() -> _KnowledgeBase:
    return build_knowledge_base(load_knowledge_base_document())


def build_knowledge_base(document: Mapping[str, Any]) -> _KnowledgeBase:
    """Resolve inheritance and validate the document; raises ValueError on inconsistent data."""
    tracked = frozenset(document["tracked_programs"])
    codename_groups = {
        f"@{group}": frozenset(names) for group, names in document["codenames"].items()
    }
    raw_by_key = {raw["key"]: raw for raw in document["images"]}
    if len(raw_by_key) != len(document["images"]):
        raise ValueError("duplicate image keys in images.json")
    resolved: dict[str, ImageFacts] = {}

    def resolve(key: str, chain: tuple[str, ...]) -> ImageFacts:
        if key in chain:
            raise ValueError(f"inheritance cycle: {' -> '.join((*chain, key))}")
        if key in resolved:
            return resolved[key]
        raw = raw_by_key.get(key)
        if raw is None:
            raise ValueError(f"{chain[-1]} inherits from unknown entry {key!r}")
        parent = resolve(raw["from"], (*chain, key)) if "from" in raw else None
        facts = _resolve_facts(raw, parent, tracked)
        resolved[key] = facts
        return facts

    entries = tuple(
        _Entry(
            key=raw["key"],
            repositories=tuple(raw["repositories"]),
            required=frozenset(raw.get("tag", ())),
            allowed=_expand_allowed(raw.get("allow", ()), codename_groups),
            aliases=frozenset(raw.get("aliases", ())),
            major_min=raw.get("major", (None, None))[0],
            major_max=raw.get("major", (None, None))[1],
            facts=resolve(raw["key"], ()),
        )
        for raw in document["images"]
    )
    packages = {
        manager: {name: frozenset(programs) for name, programs in table.items()}
        for manager, table in document["packages"].items()
        if manager != "evidence"
    }
    for table in packages.values():
        for programs in table.values():
            _require_tracked(programs, tracked, "packages")
    return _KnowledgeBase(
        tracked=tracked,
        aliases=frozenset(document["aliases"]),
        entries=entries,
        packages=packages,
    )


def _resolve_facts(
    raw: Mapping[str, Any], parent: ImageFacts | None, tracked: frozenset[str]
) -> ImageFacts:
    key = raw["key"]
    added = frozenset(raw.get("programs", ()))
    unknown = frozenset(raw.get("unknown", ()))
    applets = frozenset(raw.get("busybox", ()))
    _require_tracked(added | unknown | applets, tracked, key)
    if added & unknown:
        raise ValueError(f"{key}: programs both present and unknown: {sorted(added & unknown)}")
    if not applets <= added | (parent.busybox_applets if parent else frozenset()):
        raise ValueError(f"{key}: busybox applets must also be listed as programs")
    if not raw.get("evidence"):
        raise ValueError(f"{key}: no evidence")
    if parent is None and not {"family", "shell", "healthcheck"} <= raw.keys():
        raise ValueError(f"{key}: a root entry must give family, shell and healthcheck")
    inherited_programs = parent.programs if parent else frozenset()
    inherited_unknown = parent.unknown_programs if parent else frozenset()
    # A package manager's copy of a program (GNU wget, procps ps) replaces the busybox applet.
    inherited_applets = (parent.busybox_applets if parent else frozenset()) - (added - applets)
    return ImageFacts(
        image=key,
        programs=inherited_programs | added,
        shell=raw["shell"] if "shell" in raw else parent.shell if parent else None,
        healthcheck=raw.get("healthcheck", parent.healthcheck if parent else False),
        family=raw.get("family") or (parent.family if parent else ""),
        evidence=tuple(raw["evidence"]) + (parent.evidence if parent else ()),
        unknown_programs=(inherited_unknown - added) | unknown,
        busybox_applets=inherited_applets | applets,
    )


def _expand_allowed(allowed: Iterable[str], groups: Mapping[str, frozenset[str]]) -> frozenset[str]:
    tokens: set[str] = set()
    for token in allowed:
        tokens |= groups.get(token, frozenset((token,)))
    return frozenset(tokens)


def _require_tracked(programs: frozenset[str], tracked: frozenset[str], where: str) -> None:
    untracked = programs - tracked
    if untracked:
        raise ValueError(f"{where}: untracked programs {sorted(untracked)}")
