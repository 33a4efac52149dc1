"""The one generic test over every case of every `rules/<CODE>.yml` (schema: rules/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from mcplint.config import ConfigResolver, Overrides
from mcplint.diagnostics import Applicability
from mcplint.discovery import discover
from mcplint.engine import fix, lint, write_changes
from mcplint.registry import all_rules

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
CASE_KEYS = {
    "name", "files", "lint", "options", "expect", "fixed", "unsafe", "select", "crlf",
    "no_final_newline", "expect_after_fix", "env", "note", "symlinks",
}  # fmt: skip


def load_cases() -> list:
    yaml = YAML(typ="safe", pure=True)
    params = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        document = yaml.load(path.read_text(encoding="utf-8"))
        code = document["rule"]
        assert path.stem == code, f"{path.name} holds cases of {code}"
        names = [case["name"] for case in document["cases"]]
        assert len(names) == len(set(names)), f"{path.name}: duplicate case names"
        for case in document["cases"]:
            params.append(pytest.param(code, case, id=f"{code}-{case['name']}"))
    return params


def _shape(text: str, case: dict) -> str:
    if case.get("no_final_newline"):
        text = text.rstrip("\n")
    if case.get("crlf"):
        text = text.replace("\n", "\r\n")
    return text


def _write_case(root: Path, case: dict, code: str) -> ConfigResolver:
    for name, text in case["files"].items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_shape(text, case).encode("utf-8"))
    for name, target in (case.get("symlinks") or {}).items():
        link = root / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
    select = tuple(case.get("select", [code])) + ("MC001",)
    config = None
    if case.get("options"):
        lines = [f"[rules.{code}]"] + [f"{key} = {_toml(value)}" for key, value in case["options"].items()]
        config = root / ".mcplint.toml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ConfigResolver(config, Overrides(select=select), isolated=config is None)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _findings(result, code: str, root: Path) -> list[tuple[str, int, int]]:
    found = []
    for diagnostic in result.diagnostics:
        if diagnostic.code == code:
            line, column = diagnostic.start_location
            found.append((diagnostic.path.relative_to(root).as_posix(), line, column))
    return sorted(found)


def _changed_texts(outcome, root: Path) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): source.text for path, source in outcome.changed.items()}


@pytest.mark.parametrize(("code", "case"), load_cases())
def test_rule_case(code: str, case: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"unknown case keys: {unknown}"
    monkeypatch.chdir(tmp_path)
    for name, value in (case.get("env") or {}).items():
        monkeypatch.setenv(name, value)
    root = tmp_path
    resolver = _write_case(root, case, code)
    paths = [root / p for p in case.get("lint", [])] or [root]
    discovered = discover(paths, resolver)
    result = lint(discovered, resolver)
    assert not result.internal_errors, result.internal_errors
    if code != "MC001":
        broken = [(d.path.name, d.message) for d in result.diagnostics if d.code == "MC001"]
        assert not broken, f"the case's input does not parse: {broken}"

    expected = sorted((e["path"], e["line"], e["column"]) for e in case.get("expect") or [])
    assert _findings(result, code, root) == expected

    unsafe = bool(case.get("unsafe"))
    if "fixed" in case:
        want = {name: _shape(text, case) for name, text in case["fixed"].items()}
        threshold = Applicability.UNSAFE if unsafe else Applicability.SAFE
        outcome = fix(discovered, resolver, threshold)
        assert not outcome.internal_errors, outcome.internal_errors
        assert _changed_texts(outcome, root) == want
        after = sorted((e["path"], e["line"], e["column"]) for e in case.get("expect_after_fix") or [])
        assert _findings(outcome.result, code, root) == after
        if unsafe:
            safe_only = fix(discovered, resolver, Applicability.SAFE)
            assert _changed_texts(safe_only, root) == {}, "an unsafe fix was applied without --unsafe-fixes"
        assert not write_changes(outcome.changed)
        again = fix(discover(paths, resolver), resolver, threshold)
        assert _changed_texts(again, root) == {}, "fixing twice changed the text again"
    else:
        for threshold in (Applicability.SAFE, Applicability.UNSAFE):
            outcome = fix(discovered, resolver, threshold)
            assert _changed_texts(outcome, root) == {}, f"no `fixed` given, but a {threshold.label} fix changed files"


def test_every_rule_has_a_case_file_and_every_case_file_a_rule() -> None:
    codes = {registered.code for registered in all_rules()}
    files = {path.stem for path in RULES_DIR.glob("*.yml")}
    assert codes - files == set(), f"rules without cases: {sorted(codes - files)}"
    assert files - codes == set(), f"case files without a rule: {sorted(files - codes)}"


def test_every_fixable_rule_has_a_fix_case() -> None:
    yaml = YAML(typ="safe", pure=True)
    for registered in all_rules():
        if registered.rule.fix.value == "none":
            continue
        document = yaml.load((RULES_DIR / f"{registered.code}.yml").read_text(encoding="utf-8"))
        assert any("fixed" in case for case in document["cases"]), f"{registered.code} fixes but no case shows it"
