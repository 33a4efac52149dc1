"""Rule metadata and discovery.

A rule is a module under `mcplint.rules` holding one frozen `RULE` value and a `check(target, ctx)`
generator; its docstring (Markdown) is its documentation. Rules are found by walking the package, so
adding a rule means adding one module, nothing else.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import importlib
import pkgutil
import re
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mcplint.diagnostics import Diagnostic, Fix, Severity, Span


class Scope(enum.StrEnum):
    DOCKERFILE = "dockerfile"  # one Dockerfile
    COMPOSE = "compose"  # one Compose project (its files merged as `docker compose` does)
    PROJECT = "project"  # cross-file: services with their builds, images and mounted configs
    META = "meta"  # produced by the engine itself: parse errors, unused suppressions


class FixAvailability(enum.StrEnum):
    NONE = "none"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    scope: Scope
    severity: Severity
    fix: FixAvailability = FixAvailability.NONE
    options: type | None = None  # a frozen dataclass whose fields (with defaults) are the options
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z]{2,3}[0-9]{3}", self.code):
            raise ValueError(f"rule code {self.code!r} is not two or three capitals and three digits")
        if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", self.name):
            raise ValueError(f"rule name {self.name!r} is not kebab-case")
        if self.options is not None and not dataclasses.is_dataclass(self.options):
            raise TypeError(f"{self.code}: options must be a dataclass")


@dataclass(frozen=True, slots=True)
class RegisteredRule:
    rule: Rule
    check: Callable[..., Iterator[Any]]
    doc: str
    module: types.ModuleType

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0].strip() if self.doc.strip() else self.rule.name

    def default_options(self) -> Any:
        return self.rule.options() if self.rule.options else None


@functools.cache
def all_rules() -> tuple[RegisteredRule, ...]:
    """Every rule, sorted by code. Import errors surface here, loudly: a broken rule is a bug."""
    import mcplint.rules as package

    found: list[RegisteredRule] = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        rule = getattr(module, "RULE", None)
        if isinstance(rule, Rule):
            check = getattr(module, "check", None)
            if check is None:
                raise TypeError(f"{info.name} defines RULE but no check()")
            found.append(RegisteredRule(rule, check, module.__doc__ or "", module))
    found.sort(key=lambda registered: registered.code)
    codes = [registered.code for registered in found]
    names = [registered.name for registered in found]
    for values, what in ((codes, "code"), (names, "name")):
        duplicates = {value for value in values if values.count(value) > 1}
        if duplicates:
            raise ValueError(f"duplicate rule {what}s: {sorted(duplicates)}")
    return tuple(found)


@functools.cache
def rule_index() -> dict[str, RegisteredRule]:
    """Rules by code and by name (both spellings are accepted everywhere)."""
    index: dict[str, RegisteredRule] = {}
    for registered in all_rules():
        index[registered.code] = registered
        index[registered.name] = registered
    return index


def find_rule(code_or_name: str) -> RegisteredRule | None:
    return rule_index().get(code_or_name.strip()) or rule_index().get(code_or_name.strip().upper())


def expand_selector(selector: str) -> tuple[list[RegisteredRule], int]:
    """Rules a selector names and its specificity: `ALL` < a prefix (`CTX`, `CTX00`) < a code or name.

    Raises ValueError for a selector that names nothing, so a typo in a config is not silently ignored.
    """
    selector = selector.strip()
    if selector.upper() == "ALL":
        return list(all_rules()), 0
    exact = find_rule(selector)
    if exact is not None:
        return [exact], 100
    upper = selector.upper()
    matched = [registered for registered in all_rules() if registered.code.startswith(upper)]
    if not matched:
        raise ValueError(f"unknown rule or prefix: {selector!r}")
    return matched, len(upper)


class Context:
    """What a rule's check receives besides its target: its options, and `report` to make findings.

    `report` fills in code, name and severity from the rule's metadata, so a rule never restates them.
    """

    __slots__ = ("rule", "options", "severity_override")

    def __init__(self, rule: Rule, options: Any = None, severity_override: Severity | None = None) -> None:
        self.rule = rule
        self.options = options
        # A severity set in the config wins over the rule's own choice, for every finding.
        self.severity_override = severity_override

    def report(
        self,
        span: Span,
        message: str,
        *,
        fix: Fix | None = None,
        alternatives: tuple[Fix, ...] = (),
        detail: str | None = None,
        severity: Severity | None = None,
        related: tuple[tuple[str, Span], ...] = (),
    ) -> Diagnostic:
        return Diagnostic(
            self.rule.code,
            self.rule.name,
            self.severity_override or severity or self.rule.severity,
            message,
            span,
            fix,
            alternatives,
            detail,
            related,
        )
