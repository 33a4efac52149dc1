"""The user documentation in docs/ against what it documents.

- docs/cli.md names every subcommand and every option string of `mcplint.cli.build_parser()`.
- docs/configuration.md names every configuration key `mcplint.config` accepts.
- docs/output-formats.md has a section for every output format.
- Every `mcplint ...` command shown in the docs is accepted by the real parser.
- Links between the pages (and their #anchors) resolve.
- The CI and pre-commit examples are valid by their consumers' schemas: the GitHub workflow and the
  GitLab job by the schemas check-jsonschema ships (`vendor.github-workflows`, `vendor.gitlab-ci`),
  the pre-commit configurations by `pre-commit validate-config`.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from mcplint.cli import UsageError, build_parser
from mcplint.config import _TOP_LEVEL_KEYS
from mcplint.output import FORMATS

CHECKOUT = Path(__file__).resolve().parent.parent
DOCS = CHECKOUT / "docs"
HAND_WRITTEN = ("index", "getting-started", "configuration", "suppressions", "output-formats", "ci", "editors", "cli")


def page(name: str) -> str:
    return (DOCS / f"{name}.md").read_text(encoding="utf-8")


def mentions(text: str, option: str) -> bool:
    """`option` as a word of its own: `-o` must not be found inside `--output-file`."""
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def option_strings(parser: argparse.ArgumentParser) -> list[str]:
    return [option for action in parser._actions for option in action.option_strings]


# ----------------------------------------------------------------------- coverage of the CLI


def test_cli_md_names_every_subcommand_and_option() -> None:
    text = page("cli")
    parser = build_parser()
    missing = [option for option in option_strings(parser) if not mentions(text, option)]
    commands = subcommands(parser)
    assert commands, "the parser has no subcommands"
    for name, subparser in commands.items():
        if not re.search(rf"^#+ `mcplint {re.escape(name)}`", text, re.M):
            missing.append(f"a section `mcplint {name}`")
        missing += [f"{name} {option}" for option in option_strings(subparser) if not mentions(text, option)]
        for action in subparser._actions:
            missing += [
                f"{name} {' '.join(action.option_strings)} {choice}"
                for choice in action.choices or ()
                if not mentions(text, str(choice))
            ]
    assert not missing, f"docs/cli.md does not mention: {missing}"


def test_configuration_md_names_every_key() -> None:
    text = page("configuration")
    missing = [key for key in _TOP_LEVEL_KEYS if not re.search(rf"^#+ `{re.escape(key)}`$", text, re.M)]
    assert not missing, f"docs/configuration.md has no section for: {missing}"
    assert "`severity`" in text  # the key every rule table accepts


def test_output_formats_md_describes_every_format() -> None:
    text = page("output-formats")
    missing = [name for name in FORMATS if not re.search(rf"^## `{re.escape(name)}`", text, re.M)]
    assert not missing, f"docs/output-formats.md has no section for: {missing}"


def _shown_commands() -> list[tuple[str, str]]:
    """`mcplint ...` command lines in the shell, YAML, JSON and Groovy blocks of the hand-written pages
    (synopses are in `text` blocks)."""
    commands = []
    for name in HAND_WRITTEN:
        language = None
        for line in page(name).splitlines():
            if line.strip().startswith("```"):
                language = line.strip()[3:] if language is None else None
                continue
            if language not in ("console", "sh", "yaml", "json", "groovy"):
                continue
            stripped = line.strip()
            for prefix in ("$ ", "- run: ", "run: ", "- ", "entry: ", "sh '", '"command": "'):
                stripped = stripped.removeprefix(prefix)
            stripped = stripped.split("  #")[0].removesuffix("'").removesuffix('",').strip()
            if stripped.startswith("mcplint "):
                commands.append((name, stripped))
    return commands


def test_every_command_shown_in_the_docs_is_accepted() -> None:
    commands = _shown_commands()
    assert len(commands) > 10, commands
    parser = build_parser()
    for name, command in commands:
        argv = shlex.split(command)[1:]
        if argv == ["--version"]:
            continue
        if not argv or argv[0].startswith("-"):
            argv = ["check", *argv]  # what main() does
        try:
            parser.parse_args(argv)
        except UsageError as error:
            pytest.fail(f"docs/{name}.md shows `{command}`, which mcplint rejects: {error}")


# ------------------------------------------------------------------------------------ links


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    found: set[str] = set()
    counts: dict[str, int] = {}
    inside_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            inside_code = not inside_code
        elif not inside_code and (match := re.match(r"^#+ (.*)$", line)):
            base = slug(match.group(1))
            found.add(base if base not in counts else f"{base}-{counts[base]}")
            counts[base] = counts.get(base, 0) + 1
    return found


def test_links_between_pages_resolve() -> None:
    broken = []
    for name in HAND_WRITTEN:
        for target in re.findall(r"\]\(([^)\s]+)\)", page(name)):
            if re.match(r"[a-z]+:", target):
                continue  # an external link
            path, _, anchor = target.partition("#")
            file = (DOCS / path).resolve() if path else DOCS / f"{name}.md"
            if path.startswith("rules/"):
                continue  # generated by `make docs`, checked by `python -m mcplint.docs --check`
            if not file.is_file():
                broken.append(f"{name}.md: {target}")
            elif anchor and anchor not in anchors(file.read_text(encoding="utf-8")):
                broken.append(f"{name}.md: {target} (no such heading)")
    assert not broken, broken


# ------------------------------------------------------------------ CI and pre-commit examples


def examples(kind: str) -> list[str]:
    text = page("ci")
    blocks = re.findall(rf"<!-- validated-example: {re.escape(kind)} -->\n```yaml\n(.*?)```", text, re.S)
    assert blocks, f"docs/ci.md has no {kind} example"
    return blocks


def _validate(tmp_path: Path, kind: str, content: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / ("config.yaml" if kind == "pre-commit-config" else "example.yml")
    path.write_text(content, encoding="utf-8")
    if kind == "pre-commit-config":
        command = [sys.executable, "-m", "pre_commit", "validate-config", str(path)]
    else:
        schema = {"github-workflow": "vendor.github-workflows", "gitlab-ci": "vendor.gitlab-ci"}[kind]
        command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


# Each validator must reject a broken copy, or its approval of the real example would mean nothing.
BREAKAGES = {
    "github-workflow": ("runs-on:", "runs_on:"),
    "gitlab-ci": ("script:", "scripts:"),
    "pre-commit-config": ("hooks:", "hook:"),
}


@pytest.mark.parametrize("kind", sorted(BREAKAGES))
def test_ci_examples_are_valid_by_their_consumers(kind: str, tmp_path: Path) -> None:
    for content in examples(kind):
        done = _validate(tmp_path, kind, content)
        assert done.returncode == 0, done.stdout + done.stderr
        old, new = BREAKAGES[kind]
        assert old in content
        assert _validate(tmp_path, kind, content.replace(old, new)).returncode != 0


def test_pre_commit_examples_match_the_published_hooks() -> None:
    yaml = YAML(typ="safe", pure=True)
    published = {
        hook["id"]: hook for hook in yaml.load((CHECKOUT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    }
    for content in examples("pre-commit-config"):
        for repository in yaml.load(content)["repos"]:
            for hook in repository["hooks"]:
                assert hook["id"] in published
                if repository["repo"] == "local":
                    original = published[hook["id"]]
                    for key in ("entry", "types", "files", "exclude", "require_serial"):
                        assert hook[key] == original[key], key
    text = page("ci")
    for hook_id, hook in published.items():
        assert f"`{hook_id}`" in text and f"`{hook['entry']}`" in text
        assert hook["files"] in text


def test_readme_names_every_check_option_config_key_and_format() -> None:
    text = (CHECKOUT / "README.md").read_text(encoding="utf-8")
    check = subcommands(build_parser())["check"]
    missing = [option for option in option_strings(check) if option not in ("-h", "--help") and not mentions(text, option)]
    missing += [key for key in _TOP_LEVEL_KEYS if key != "rules" and not mentions(text, key)]
    missing += [f"format {name}" for name in FORMATS if f"`{name}`" not in text]
    assert not missing, f"README.md does not mention: {missing}"
