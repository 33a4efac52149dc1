"""COPY/ADD sources in the build context, resolved as BuildKit resolves them.

The Dockerfile frontend turns a source into `path.Clean("/" + src)` (`system.NormalizePath`), so
`..` can never leave the context: `COPY ../x .` reads the context's `x` (Dockerfile reference:
"parent directory paths are stripped out automatically"; moby/buildkit#2130 and #2131). The copy
is made with `AllowWildcard` and `AllowEmptyWildcard` (dockerfile2llb `convert_copy.go`), and
tonistiigi/fsutil `copy.ResolveWildcards` does the matching:

- the cleaned path is split at its first component holding an unescaped `*`, `?` or `[`
  (`containsWildcards`); without one, the path is used as written, no matching at all;
- the fixed part before it is the base directory (symlinks in it are followed inside the
  context); when it does not exist the build fails (`lstat ...: no such file or directory`,
  moby/buildkit#2933), while a wildcard that matches nothing under an existing base copies nothing
  and does not fail;
- `filepath.Walk` goes through the base (lexical order, never into symlinks) and keeps every path
  whose base-relative form matches the rest of the pattern with Go's `filepath.Match`; a matched
  directory is copied whole and not searched further;
- `filepath.Match` rules: `*` is any run of non-`/` characters (hidden files included, `**` is the
  same as `*`), `?` one non-`/` character, `[...]`/`[^...]` classes with ranges, `\\` escapes the
  next character; a malformed pattern (`ErrBadPattern`) makes the walk match nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mcplint.workspace import DirEntry, list_directory

DirectoryLister = Callable[[Path], list[DirEntry]]


class BadPattern(ValueError):
    """Go's `filepath.ErrBadPattern`: the pattern is malformed."""


def go_clean(path: str) -> str:
    """Go's `path.Clean` (also `filepath.Clean` on Unix): the shortest lexically equal path."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    joined = "/".join(parts)
    if rooted:
        return "/" + joined
    return joined or "."


def clean_context_path(source: str) -> tuple[str, bool]:
    """A COPY source as BuildKit reads it: (slash path relative to the context root, escapes).

    A leading `/` means the context root. `escapes` is True when the written path climbs above the
    root (`../x`, `a/../../x`, `/../x`); BuildKit silently clamps such a path to the root, and the
    returned path is that clamped one (`.` for the root itself).
    """
    relative = go_clean(source.lstrip("/"))
    return go_clean("/" + source)[1:] or ".", relative == ".." or relative.startswith("../")


def has_wildcard(source: str) -> bool:
    """fsutil `containsWildcards` on any component: an unescaped `*`, `?` or `[`."""
    return any(_component_has_wildcard(part) for part in source.split("/"))


def _component_has_wildcard(component: str) -> bool:
    index = 0
    while index < len(component):
        char = component[index]
        if char == "\\":
            index += 1
        elif char in "*?[":
            return True
        index += 1
    return False


def split_wildcard(source: str) -> tuple[str, str]:
    """fsutil `splitWildcards`: (fixed base directory, pattern from the first wildcard component).

    The base is "" for the context root; the pattern is "" when the source has no wildcard.
    """
    parts = source.split("/")
    for index, part in enumerate(parts):
        if _component_has_wildcard(part):
            return _join(parts[:index]), _join(parts[index:])
    return _join(parts), ""


def _join(parts: list[str]) -> str:
    """Go's `filepath.Join` of the components as a relative path ("" when there are none)."""
    joined = go_clean("/".join(part for part in parts if part))
    return "" if joined == "." else joined


def match_context(root: Path, pattern: str, list_dir: DirectoryLister | None = None) -> list[str]:
    """Every context-relative path a COPY source selects, sorted.

    The source is cleaned (and clamped) first. Without wildcards the result is `[path]` when the
    path exists, else `[]`. `list_dir(directory)` gives the directory's entries and may be a cached
    lister (`Workspace.list_dir`); the default reads the disk and treats an unreadable directory as
    empty.
    """
    lister = list_dir or list_directory
    cleaned, _ = clean_context_path(pattern)
    if cleaned == ".":
        return ["."]
    base, rest = split_wildcard(cleaned)
    if not rest:
        return [cleaned] if _exists(root, cleaned, lister) else []
    if base and not _exists(root, base, lister):
        return []
    # `*` and `?` never match "/", so without a class the match has as many components as `rest`.
    depth_limit = None if "[" in rest else rest.count("/") + 1
    found: list[str] = []
    _walk(root / base if base else root, "", rest, depth_limit, lister, found)
    return sorted(f"{base}/{relative}" if base else relative for relative in found)


def _walk(
    directory: Path,
    prefix: str,
    rest: str,
    depth_limit: int | None,
    lister: DirectoryLister,
    found: list[str],
) -> None:
    depth = prefix.count("/") + 1 if prefix else 1
    for entry in sorted(lister(directory)):
        relative = f"{prefix}/{entry.name}" if prefix else entry.name
        try:
            matched = filepath_match(rest, relative)
        except BadPattern:
            matched = False
        if matched:
            found.append(relative)
        elif entry.is_dir and not entry.is_symlink and (depth_limit is None or depth < depth_limit):
            _walk(directory / entry.name, relative, rest, depth_limit, lister, found)


def _exists(root: Path, relative: str, lister: DirectoryLister) -> bool:
    directory = root
    for part in relative.split("/"):
        if part not in {entry.name for entry in lister(directory)}:
            return False
        directory = directory / part
    return True


# ------------------------------------------------------------------ Go's filepath.Match


def filepath_match(pattern: str, name: str) -> bool:
    """Go's `path/filepath.Match` on Unix; raises BadPattern where Go returns ErrBadPattern.

    Like Go, a malformed part of the pattern is reported only when matching reaches it.
    """
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and not chunk:
            return "/" not in name
        rest, matched = _match_chunk(chunk, name)
        if matched and (not rest or pattern):
            name = rest
            continue
        if star:
            advanced = _advance_past_star(chunk, pattern, name)
            if advanced is not None:
                name = advanced
                continue
        return False
    return not name


def _advance_past_star(chunk: str, pattern: str, name: str) -> str | None:
    """Let the star eat 1, 2, ... non-`/` characters until the chunk matches; the rest of the name."""
    for skip in range(len(name)):
        if name[skip] == "/":
            break
        rest, matched = _match_chunk(chunk, name[skip + 1 :])
        if matched:
            if not pattern and rest:
                continue
            return rest
    return None


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    """Go's scanChunk: leading stars, then the chunk up to the next star outside brackets."""
    stripped = pattern.lstrip("*")
    star = len(stripped) != len(pattern)
    in_range = False
    index = 0
    while index < len(stripped):
        char = stripped[index]
        if char == "\\":
            if index + 1 < len(stripped):
                index += 1
        elif char == "[":
            in_range = True
        elif char == "]":
            in_range = False
        elif char == "*" and not in_range:
            break
        index += 1
    return star, stripped[:index], stripped[index:]


def _match_chunk(chunk: str, name: str) -> tuple[str, bool]:
    """Go's matchChunk: (rest of name, matched). Keeps checking the chunk's syntax after a miss."""
    failed = False
    while chunk:
        if not failed and not name:
            failed = True
        head = chunk[0]
        if head == "[":
            char = ""
            if not failed:
                char, name = name[0], name[1:]
            chunk = chunk[1:]
            negated = chunk.startswith("^")
            if negated:
                chunk = chunk[1:]
            in_class = False
            ranges = 0
            while not (chunk.startswith("]") and ranges > 0):
                low, chunk = _class_char(chunk)
                high = low
                if chunk.startswith("-"):
                    high, chunk = _class_char(chunk[1:])
                in_class = in_class or (bool(char) and low <= char <= high)
                ranges += 1
            chunk = chunk[1:]
            failed = failed or in_class == negated
        elif head == "?":
            if not failed:
                failed = name[0] == "/"
                name = name[1:]
            chunk = chunk[1:]
        else:
            if head == "\\":
                chunk = chunk[1:]
                if not chunk:
                    raise BadPattern("trailing backslash")
            if not failed:
                failed = chunk[0] != name[0]
                name = name[1:]
            chunk = chunk[1:]
    return ("", False) if failed else (name, True)


def _class_char(chunk: str) -> tuple[str, str]:
    """Go's getEsc: one possibly escaped character of a class, and the rest of the chunk."""
    if not chunk or chunk[0] in "-]":
        raise BadPattern("bad character class")
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            raise BadPattern("trailing backslash in character class")
    if len(chunk) == 1:
        raise BadPattern("unclosed character class")
    return chunk[0], chunk[1:]
