"""Configuration: discovery, validation, and which rules apply to which file.

The nearest of `.mcplint.toml`, `mcplint.toml` or a `pyproject.toml` with `[tool.mcplint]` to a file
configures it (ruff's rule: the closest file wins, nothing is merged across files); `--config` applies
one file to everything. Command-line options are applied on top. Every key is validated: an unknown key
or a value of the wrong type is an error naming the file, line and key, never silently ignored.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import functools
import re
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcplint.diagnostics import Severity
from mcplint.globs import glob_regex
from mcplint.registry import RegisteredRule, expand_selector, find_rule

CONFIG_NAMES = (".mcplint.toml", "mcplint.toml", "pyproject.toml")
OUTPUT_FORMATS = ("full", "concise", "json", "json-lines", "sarif", "github", "gitlab")
DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages",
)  # fmt: skip


class ConfigError(Exception):
    """A configuration the run cannot use; the message names the file (and line) and the key."""


@dataclass(frozen=True, slots=True)
class Overrides:
    """What the command line sets on top of every configuration file."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None
    output_format: str | None = None


@dataclass(frozen=True)
class Settings:
    path: Path | None = None  # the configuration file, None for defaults
    root: Path = field(default_factory=Path.cwd)  # relative patterns resolve against it
    select: tuple[str, ...] = ("ALL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    output_format: str | None = None
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    rule_severity: Mapping[str, Severity] = field(default_factory=dict)

    def with_overrides(self, overrides: Overrides) -> Settings:
        changes: dict[str, Any] = {}
        if overrides.select is not None:
            changes["select"] = overrides.select
            changes["extend_select"] = ()
        if overrides.extend_select:
            changes["extend_select"] = changes.get("extend_select", self.extend_select) + overrides.extend_select
        if overrides.ignore:
            changes["ignore"] = self.ignore + overrides.ignore
        if overrides.unsafe_fixes is not None:
            changes["unsafe_fixes"] = overrides.unsafe_fixes
        if overrides.output_format is not None:
            changes["output_format"] = overrides.output_format
        return dataclasses.replace(self, **changes) if changes else self

    @functools.cached_property
    def enabled_codes(self) -> frozenset[str]:
        """Resolve select/extend-select/ignore: the most specific selector wins, ignore wins ties."""
        decisions: dict[str, tuple[int, bool]] = {}
        entries = [(s, True) for s in self.select + self.extend_select] + [(s, False) for s in self.ignore]
        for selector, enable in entries:
            rules, specificity = expand_selector(selector)
            for registered in rules:
                current = decisions.get(registered.code)
                if current is None or specificity > current[0] or (specificity == current[0] and not enable):
                    decisions[registered.code] = (specificity, enable)
        return frozenset(code for code, (_, enable) in decisions.items() if enable)

    def is_enabled(self, code: str, path: Path | None = None) -> bool:
        if code not in self.enabled_codes:
            return False
        return path is None or code not in self.ignored_for(path)

    def ignored_for(self, path: Path) -> frozenset[str]:
        relative = _relative_posix(path, self.root)
        ignored: set[str] = set()
        for pattern, selectors in self.per_file_ignores:
            if _glob_matches(pattern, relative):
                for selector in selectors:
                    ignored.update(registered.code for registered in expand_selector(selector)[0])
        return frozenset(ignored)

    @functools.cached_property
    def _name_patterns(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """Exclude patterns that name a path segment: literal names (a set lookup) and globs."""
        names = [p.strip("/") for p in self.exclude + self.extend_exclude if "/" not in p.strip("/")]
        literal = frozenset(n for n in names if not any(c in n for c in "*?[\\"))
        return literal, tuple(n for n in names if n not in literal)

    def is_excluded(self, path: Path) -> bool:
        relative = _relative_posix(path, self.root)
        parts = relative.split("/")
        literal, globs = self._name_patterns
        if not literal.isdisjoint(parts):
            return True
        if any(fnmatch.fnmatchcase(part, pattern) for pattern in globs for part in parts):
            return True
        for pattern in self.exclude + self.extend_exclude:
            if "/" not in pattern.strip("/"):
                continue
            elif _glob_matches(pattern, relative) or any(
                _glob_matches(pattern, "/".join(parts[:n])) for n in range(1, len(parts))
            ):
                return True
        return False

    def options_for(self, registered: RegisteredRule) -> Any:
        if registered.rule.options is None:
            return None
        return registered.rule.options(**self.rule_options.get(registered.code, {}))

    def severity_for(self, code: str) -> Severity | None:
        return self.rule_severity.get(code)


def _relative_posix(path: Path, root: Path) -> str:
    try:
        # abspath, not resolve(): a symlink loop must not stop the run, and links keep their names.
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return path.as_posix()


def _glob_matches(pattern: str, relative: str) -> bool:
    """A pattern with a '/' matches the path from the root (`**` crosses directories); else the name."""
    pattern = pattern.strip()
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if "/" not in pattern.rstrip("/"):
        return fnmatch.fnmatchcase(relative.rsplit("/", 1)[-1], pattern.rstrip("/"))
    return glob_regex(pattern.strip("/")).fullmatch(relative) is not None


# ------------------------------------------------------------------------------ loading and checks

_TOP_LEVEL_KEYS = {
    "select": "list of rule codes, names or prefixes",
    "extend-select": "list of rule codes, names or prefixes",
    "ignore": "list of rule codes, names or prefixes",
    "per-file-ignores": "table of glob = [rules]",
    "exclude": "list of globs",
    "extend-exclude": "list of globs",
    "unsafe-fixes": "boolean",
    "output-format": f"one of {', '.join(OUTPUT_FORMATS)}",
    "rules": "table of rule tables",
}


def find_config(directory: Path) -> Path | None:
    """The nearest configuration file at or above a directory."""
    return _find_config_cached(Path(os.path.abspath(directory)))


@functools.cache
def _find_config_cached(directory: Path) -> Path | None:
    for name in CONFIG_NAMES:
        candidate = directory / name
        if candidate.is_file() and (name != "pyproject.toml" or _has_tool_table(candidate)):
            return candidate
    if directory.parent == directory:
        return None
    return _find_config_cached(directory.parent)


def _has_tool_table(pyproject: Path) -> bool:
    try:
        return b"[tool.mcplint" in pyproject.read_bytes()
    except OSError:
        return False


@functools.cache
def load_settings(path: Path) -> Settings:
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror or exc}") from None
    try:
        text = raw_bytes.decode("utf-8")
        document = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: configuration is not valid UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        table = document.get("tool", {}).get("mcplint")
        prefix = "tool.mcplint."
        if table is None:
            return Settings(path=path, root=path.parent)
    else:
        table = document
        prefix = ""
    return settings_from_table(table, path, text, prefix)


def settings_from_table(table: Mapping[str, Any], path: Path, text: str = "", prefix: str = "") -> Settings:
    def fail(key: str, problem: str) -> typing.NoReturn:
        line = _line_of_key(text, key.rsplit(".", 1)[-1])
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"{where}: `{prefix}{key}`: {problem}")

    if not isinstance(table, Mapping):
        fail("", "must be a table")
    for key in table:
        if key not in _TOP_LEVEL_KEYS:
            close = [k for k in _TOP_LEVEL_KEYS if k.replace("-", "") == key.replace("_", "").replace("-", "")]
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            fail(key, f"unknown key{hint}; known keys: {', '.join(sorted(_TOP_LEVEL_KEYS))}")

    def selectors(key: str) -> tuple[str, ...]:
        value = table.get(key, None)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            fail(key, f"expected a {_TOP_LEVEL_KEYS[key]}, got {_describe(value)}")
        for item in value:
            try:
                expand_selector(item)
            except ValueError as exc:
                fail(key, str(exc))
        return tuple(value)

    def globs(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            fail(key, f"expected a list of globs, got {_describe(value)}")
        return tuple(value)

    per_file: list[tuple[str, tuple[str, ...]]] = []
    raw_per_file = table.get("per-file-ignores", {})
    if not isinstance(raw_per_file, Mapping):
        fail("per-file-ignores", f"expected a table of glob = [rules], got {_describe(raw_per_file)}")
    for pattern, codes in raw_per_file.items():
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            fail(f"per-file-ignores.{pattern}", f"expected a list of rules, got {_describe(codes)}")
        for code in codes:
            try:
                expand_selector(code)
            except ValueError as exc:
                fail(f"per-file-ignores.{pattern}", str(exc))
        per_file.append((pattern, tuple(codes)))

    unsafe = table.get("unsafe-fixes", False)
    if not isinstance(unsafe, bool):
        fail("unsafe-fixes", f"expected a boolean, got {_describe(unsafe)}")
    output_format = table.get("output-format")
    if output_format is not None and output_format not in OUTPUT_FORMATS:
        fail("output-format", f"expected one of {', '.join(OUTPUT_FORMATS)}, got {output_format!r}")

    rule_options: dict[str, dict[str, Any]] = {}
    rule_severity: dict[str, Severity] = {}
    raw_rules = table.get("rules", {})
    if not isinstance(raw_rules, Mapping):
        fail("rules", f"expected a table of rule tables, got {_describe(raw_rules)}")
    for rule_key, values in raw_rules.items():
        registered = find_rule(rule_key)
        if registered is None:
            fail(f"rules.{rule_key}", "unknown rule")
        if not isinstance(values, Mapping):
            fail(f"rules.{rule_key}", f"expected a table, got {_describe(values)}")
        options = dict(values)
        if "severity" in options:
            severity = options.pop("severity")
            if not isinstance(severity, str) or severity.lower() not in ("error", "warning", "info"):
                fail(f"rules.{rule_key}.severity", f"expected error, warning or info, got {severity!r}")
            rule_severity[registered.code] = Severity.parse(severity)
        checked = _check_rule_options(registered, options, lambda key, problem: fail(f"rules.{rule_key}.{key}", problem))
        if checked:
            rule_options[registered.code] = checked

    settings = Settings(
        path=path,
        root=path.parent,
        select=selectors("select") or ("ALL",),
        extend_select=selectors("extend-select"),
        ignore=selectors("ignore"),
        per_file_ignores=tuple(per_file),
        exclude=globs("exclude") if "exclude" in table else DEFAULT_EXCLUDE,
        extend_exclude=globs("extend-exclude"),
        unsafe_fixes=unsafe,
        output_format=output_format,
        rule_options=rule_options,
        rule_severity=rule_severity,
    )
    return settings


def _check_rule_options(registered: RegisteredRule, values: Mapping[str, Any], fail) -> dict[str, Any]:  # noqa: ANN001
    options_type = registered.rule.options
    if options_type is None:
        if values:
            fail(next(iter(values)), f"rule {registered.code} has no options (only `severity`)")
        return {}
    fields = {f.name.replace("_", "-"): f for f in dataclasses.fields(options_type)}
    hints = typing.get_type_hints(options_type)
    checked: dict[str, Any] = {}
    for key, value in values.items():
        spec = fields.get(key)
        if spec is None:
            fail(key, f"unknown option for {registered.code}; options: {', '.join(sorted(fields)) or 'none'}")
        converted = _coerce(value, hints[spec.name])
        if converted is _INVALID:
            fail(key, f"expected {_type_name(hints[spec.name])}, got {_describe(value)}")
        checked[spec.name] = converted
    try:
        options_type(**checked)  # the options' own validation (e.g. a byte size Docker accepts)
    except (TypeError, ValueError) as exc:
        fail(next(iter(values), ""), str(exc))
    return checked


_INVALID = object()


def _coerce(value: Any, expected: Any) -> Any:
    origin = typing.get_origin(expected)
    if expected is bool:
        return value if isinstance(value, bool) else _INVALID
    if expected is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _INVALID
    if expected is float:
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else _INVALID
    if expected is str:
        return value if isinstance(value, str) else _INVALID
    if origin in (tuple, list):
        (item_type, *_) = typing.get_args(expected) or (str,)
        if not isinstance(value, list):
            return _INVALID
        items = [_coerce(item, item_type) for item in value]
        return _INVALID if _INVALID in items else tuple(items)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for option in typing.get_args(expected):
            if option is type(None) and value is None:
                return None
            converted = _coerce(value, option)
            if converted is not _INVALID:
                return converted
        return _INVALID
    return value


def _type_name(expected: Any) -> str:
    if typing.get_origin(expected) in (tuple, list):
        return f"a list of {_type_name(typing.get_args(expected)[0])}"
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    return names.get(expected, str(expected))


def _describe(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a table"}
    return f"{kinds.get(type(value), type(value).__name__)} ({value!r})"


def _line_of_key(text: str, key: str) -> int | None:
    if not text or not key:
        return None
    match = re.search(rf"^[ \t]*(?:\[[^\]]*\b{re.escape(key)}\b[^\]]*\]|\"?{re.escape(key)}\"?\s*=)", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else None


class ConfigResolver:
    """Settings for each file: `--config` for all, else the nearest file; command line on top."""

    def __init__(self, explicit: Path | None = None, overrides: Overrides = Overrides(), isolated: bool = False) -> None:
        self.explicit = explicit
        self.overrides = overrides
        self.isolated = isolated
        self._cache: dict[Path | None, Settings] = {}

    def for_path(self, path: Path) -> Settings:
        if self.explicit is not None:
            config_path: Path | None = self.explicit
        elif self.isolated:
            config_path = None
        else:
            directory = path if path.is_dir() else path.parent
            config_path = find_config(directory)
        settings = self._cache.get(config_path)
        if settings is None:
            base = load_settings(config_path) if config_path else Settings(root=Path.cwd())
            settings = base.with_overrides(self.overrides)
            settings.enabled_codes  # noqa: B018 - validate selectors now, so errors surface before linting
            self._cache[config_path] = settings
        return settings

    def default(self) -> Settings:
        return self.for_path(Path.cwd())

