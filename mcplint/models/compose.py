"""The Compose model: what `docker compose config` would see, with the span that wrote every value.

Files are read by `yamlsrc` (go-yaml semantics, exact offsets). The resolved configuration is a tree
of `CMap`/`CSeq`/`CScalar` whose every node keeps the `Span` of the text that wrote it — in the
override file, the `extends` base or the anchor it came from — so a finding points at the line a
user has to change. `Service` gives rules typed access to the keys they need.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcplint.diagnostics import Span
from mcplint.models.yamlsrc import YMap, YNode, YScalar, YSeq, load_documents
from mcplint.source import SourceFile

DEFAULT_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
DEFAULT_OVERRIDE_NAMES = (
    "compose.override.yml", "compose.override.yaml",
    "docker-compose.override.yml", "docker-compose.override.yaml",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    span: Span


# ------------------------------------------------------------------------------- resolved values


@dataclass(frozen=True, slots=True, eq=False)
class CScalar:
    value: Any  # str, int, float, bool or None, after interpolation
    span: Span  # where the value was written
    raw: str  # the text before interpolation


@dataclass(frozen=True, slots=True, eq=False)
class CEntry:
    key: Span
    value: CNode


@dataclass(frozen=True, slots=True, eq=False)
class CMap:
    entries: Mapping[str, CEntry]
    span: Span
    # The YAML mappings that wrote this one (one per file that defines it), for fixes that insert keys.
    written: tuple[tuple[SourceFile, YMap], ...] = ()

    def get(self, key: str) -> CNode | None:
        entry = self.entries.get(key)
        return entry.value if entry else None

    def key_span(self, key: str) -> Span | None:
        entry = self.entries.get(key)
        return entry.key if entry else None

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def items(self) -> Iterator[tuple[str, CNode]]:
        for key, entry in self.entries.items():
            yield key, entry.value


@dataclass(frozen=True, slots=True, eq=False)
class CSeq:
    items: tuple[CNode, ...]
    span: Span


CNode = CScalar | CMap | CSeq


def lookup(node: CNode | None, *path: str) -> CNode | None:
    for key in path:
        if not isinstance(node, CMap):
            return None
        node = node.get(key)
    return node


def scalar(node: CNode | None) -> Any:
    return node.value if isinstance(node, CScalar) else None


def to_plain(node: CNode | None) -> Any:
    if isinstance(node, CScalar):
        return node.value
    if isinstance(node, CMap):
        return {key: to_plain(value) for key, value in node.items()}
    if isinstance(node, CSeq):
        return [to_plain(item) for item in node.items]
    return None


# ---------------------------------------------------------------------------------- raw files


@dataclass(frozen=True, slots=True, eq=False)
class ComposeFile:
    source: SourceFile
    documents: tuple[YNode | None, ...]
    problems: tuple[Problem, ...]

    @property
    def root(self) -> YMap | None:
        for document in self.documents:
            if isinstance(document, YMap):
                return document
        return None

    def scalar_ranges(self) -> list[tuple[int, int]]:
        ranges: list[tuple[int, int]] = []
        seen: set[int] = set()

        def walk(node: YNode | None) -> None:
            if node is None or id(node) in seen:
                return
            seen.add(id(node))
            if isinstance(node, YScalar):
                ranges.append((node.start, node.end))
            elif isinstance(node, YMap):
                for key, value in node.items:
                    walk(key)
                    walk(value)
            elif isinstance(node, YSeq):
                for item in node.items:
                    walk(item)

        for document in self.documents:
            walk(document)
        ranges.sort()
        return ranges


def parse_compose_file(source: SourceFile) -> ComposeFile:
    documents, errors = load_documents(source.text)
    problems = [Problem(error.message, Span(source, error.start, min(error.start + 1, len(source.text)))) for error in errors]
    if not errors and not any(isinstance(document, YMap) for document in documents):
        if any(document is not None for document in documents):
            first = next(document for document in documents if document is not None)
            problems.append(Problem("a Compose file must be a mapping at the top level", Span(source, first.start, first.end)))
    return ComposeFile(source, tuple(documents), tuple(problems))


def convert(node: YNode, source: SourceFile, budget: list[int] | None = None) -> CNode:
    """Turn YAML nodes into the resolved tree (no interpolation in this first cut)."""
    if isinstance(node, YScalar):
        return CScalar(node.value, Span(source, node.start, node.end), node.text)
    if isinstance(node, YSeq):
        return CSeq(tuple(convert(item, source) for item in node.items), Span(source, node.start, node.end))
    entries = {}
    for key, value in node.items:
        entries[str(key.value) if key.value is not None else "null"] = CEntry(
            Span(source, key.start, key.end), convert(value, source)
        )
    return CMap(entries, Span(source, node.start, node.end), ((source, node),))


# ------------------------------------------------------------------------------------- services


@dataclass(frozen=True, eq=False)
class Service:
    name: str
    key: Span  # the service's key where it is defined (findings about the whole service point here)
    config: CMap

    def get(self, *path: str) -> CNode | None:
        return lookup(self.config, *path)

    @property
    def defining(self) -> tuple[SourceFile, YMap] | None:
        """The file and YAML mapping where the service is first written (where fixes insert keys)."""
        return self.config.written[0] if self.config.written else None

    @property
    def image(self) -> str | None:
        value = scalar(self.get("image"))
        return str(value) if value is not None else None


@dataclass(frozen=True, eq=False)
class ComposeProject:
    directory: Path
    files: tuple[ComposeFile, ...]
    config: CMap | None
    services: tuple[Service, ...]
    problems: tuple[Problem, ...] = field(default=())

    @property
    def main_file(self) -> ComposeFile:
        return self.files[0]

    def service(self, name: str) -> Service | None:
        return next((service for service in self.services if service.name == name), None)


def load_project(files: list[ComposeFile]) -> ComposeProject:
    """First cut: one file, no merging. The full loader (overrides, include, extends) replaces this."""
    main = files[0]
    problems = list(main.problems)
    root = main.root
    config = convert(root, main.source) if root is not None else None
    services = []
    if isinstance(config, CMap):
        services_node = config.get("services")
        if isinstance(services_node, CMap):
            for name, entry in services_node.entries.items():
                if isinstance(entry.value, CMap):
                    services.append(Service(name, entry.key, entry.value))
    return ComposeProject(main.source.path.parent, tuple(files), config if isinstance(config, CMap) else None, tuple(services), tuple(problems))
