"""Every rule is complete: metadata, documentation with the fixed headings, examples that behave."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mcplint.config import ConfigResolver, Overrides
from mcplint.discovery import discover
from mcplint.docs import REQUIRED_HEADINGS, main as docs_main, option_fields
from mcplint.engine import lint
from mcplint.registry import FixAvailability, Scope, all_rules

ROOT = Path(__file__).resolve().parent.parent
RULES = all_rules()
# Rules whose examples need more than one file (a build context, a mounted config): the case files
# in rules/ cover them with complete projects.
EXAMPLES_NEED_MORE_FILES = {"CTX001", "CTX002", "CTX003", "CTX005", "PG003", "PG004"}


@pytest.mark.parametrize("registered", RULES, ids=lambda r: r.code)
def test_module_name_matches_code_and_scope_matches_package(registered) -> None:  # noqa: ANN001
    module = registered.module.__name__.split(".")
    assert module[-1] == registered.code.lower()
    expected_package = {Scope.META: "meta", Scope.DOCKERFILE: "dockerfile", Scope.COMPOSE: "compose", Scope.PROJECT: "project"}
    assert module[-2] == expected_package[registered.rule.scope]


@pytest.mark.parametrize("registered", RULES, ids=lambda r: r.code)
def test_docstring_has_the_required_headings(registered) -> None:  # noqa: ANN001
    doc = registered.doc
    for heading in REQUIRED_HEADINGS:
        assert heading in doc, f"{registered.code}: missing {heading!r}"
    if registered.rule.fix is not FixAvailability.NONE:
        assert "## Fix safety" in doc, f"{registered.code}: a fixable rule documents its fix safety"
    options = option_fields(registered)
    if options:
        section = doc.split("## Options", 1)[1] if "## Options" in doc else ""
        assert section, f"{registered.code}: options are documented under ## Options"
        for name, _, _ in options:
            assert f"`{name}`" in section, f"{registered.code}: option `{name}` is not documented"
    assert registered.summary and len(registered.summary) < 120


def _code_block(doc: str, heading: str) -> tuple[str, str] | None:
    section = doc.split(heading, 1)[1]
    match = re.search(r"```(\w+)\n(.*?)```", section, re.S)
    return (match.group(1), match.group(2)) if match else None


@pytest.mark.parametrize("registered", [r for r in RULES if r.rule.scope is not Scope.META], ids=lambda r: r.code)
def test_examples_in_the_docs_behave(registered, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    if registered.code in EXAMPLES_NEED_MORE_FILES:
        pytest.skip(f"{registered.code}'s example needs files outside the snippet; rules/{registered.code}.yml covers it")
    monkeypatch.chdir(tmp_path)
    resolver = ConfigResolver(overrides=Overrides(select=(registered.code,)), isolated=True)
    for heading, should_fire in (("## Example", True), ("## Use instead", False)):
        block = _code_block(registered.doc, heading)
        assert block is not None, f"{registered.code}: {heading} has no code block"
        language, text = block
        directory = tmp_path / heading.strip("# ").replace(" ", "-")
        directory.mkdir()
        name = "Dockerfile" if language == "dockerfile" else "compose.yaml"
        (directory / name).write_text(text, encoding="utf-8")
        result = lint(discover([directory], resolver), resolver)
        fired = any(d.code == registered.code for d in result.diagnostics)
        assert fired is should_fire, f"{registered.code}: the {heading} block {'does not fire' if should_fire else 'fires'}"


def test_generated_docs_are_current() -> None:
    assert docs_main(["--check", "--root", str(ROOT)]) == 0, "run `make docs` and commit docs/rules/"
