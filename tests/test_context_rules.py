"""Build-context rules (CTX001-CTX004) against real oracles, the mission's monorepo and the corpus.

The case files `rules/CTX00*.yml` fix positions and fixed texts; this module checks what they cannot:

- every fixed Compose file passes the real `docker-compose config`, every fixed Dockerfile parses with
  BuildKit's parser, and every COPY source then lies inside the context Compose resolves for it
  (its own build context, or the `additional_contexts` directory a `--from` names), read without
  mcplint's models: the oracle's JSON and BuildKit's parse tree only;
- the same for the wider-context alternative CTX001 shows;
- `--unsafe-fixes` on a copy of examples/mcp-monorepo;
- severities: what fails the build is an error, what silently copies nothing a warning, and where the
  context is only assumed, one step lower;
- the corpus: CTX001 and CTX004 report nothing, every CTX002/CTX003 finding is listed with the reason
  it is true.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import dockerfile as buildkit
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mcplint.cli import main
from mcplint.config import ConfigResolver, Overrides
from mcplint.diagnostics import Diagnostic, Severity
from mcplint.discovery import discover
from mcplint.engine import LintResult, lint
from mcplint.fixes import apply_edits, edits_by_source
from mcplint.models.contextglob import clean_context_path
from mcplint.models.copysources import copy_sources
from mcplint.models.dockerfile import Dockerfile
from mcplint.project import load_inputs
from mcplint.registry import Context, find_rule
from mcplint.workspace import Workspace
from tests.compose_oracle import COMPOSE_BINARY, requires_compose

REPOSITORY = Path(__file__).resolve().parent.parent
EXAMPLE = REPOSITORY / "examples" / "mcp-monorepo"
CORPUS = REPOSITORY.parent / "shared" / "corpus"
CTX_RULES = ("CTX001", "CTX002", "CTX003", "CTX004")
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")


# ----------------------------------------------------------------------------------------- helpers


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def lint_tree(root: Path, select: tuple[str, ...] = CTX_RULES, paths: list[Path] | None = None) -> LintResult:
    resolver = ConfigResolver(None, Overrides(select=select), isolated=True)
    result = lint(discover(paths or [root], resolver), resolver)
    assert not result.internal_errors, result.internal_errors
    return result


def only(result: LintResult, code: str) -> Diagnostic:
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in result.diagnostics]
    return found[0]


def compose_json(compose_file: Path) -> dict[str, Any]:
    """`docker-compose config` of a project, as JSON; fails the test when Compose refuses it."""
    assert COMPOSE_BINARY is not None
    completed = subprocess.run(
        [str(COMPOSE_BINARY), "-f", str(compose_file), "--project-directory", str(compose_file.parent)]
        + ["config", "--format", "json"],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, timeout=60, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    config: dict[str, Any] = json.loads(completed.stdout)
    return config


def escapes_or_missing(dockerfile_text: str, context: Path, named: dict[str, Path]) -> list[str]:
    """COPY/ADD sources that leave their directory or match nothing in it, read from BuildKit's parse
    tree and plain path arithmetic (Python's glob for wildcards), independently of mcplint's models."""
    problems = []
    for command in buildkit.parse_string(dockerfile_text):
        if command.cmd.upper() not in ("COPY", "ADD"):
            continue
        flags = dict(flag[2:].partition("=")[::2] for flag in command.flags)
        root = context
        if "from" in flags:
            if flags["from"] not in named:
                continue  # a stage or an image
            root = named[flags["from"]]
        for source in command.value[:-1]:
            if source.startswith(("<<", "http://", "https://")):
                continue
            target = os.path.normpath(os.path.join(root, source.lstrip("/")))
            if target != str(root) and not target.startswith(str(root) + os.sep):
                problems.append(f"{source}: leaves {root}")
            elif not _glob_exists(target):
                problems.append(f"{source}: nothing in {root}")
    return problems


def _glob_exists(target: str) -> bool:
    import glob

    return bool(glob.glob(glob.escape(target))) or bool(glob.glob(target))


def check_with_oracles(root: Path) -> None:
    """Every Compose file of `root` passes docker-compose; each service's Dockerfile parses with
    BuildKit and its sources resolve inside the contexts Compose gives it."""
    for compose_file in sorted(p for p in root.rglob("*") if p.name in COMPOSE_NAMES):
        config = compose_json(compose_file)
        for name, service in config["services"].items():
            build = service.get("build")
            if not isinstance(build, dict):
                continue
            context = Path(build["context"])
            dockerfile_path = context / build.get("dockerfile", "Dockerfile")
            text = dockerfile_path.read_text(encoding="utf-8")
            named = {key: Path(value) for key, value in (build.get("additional_contexts") or {}).items()}
            assert escapes_or_missing(text, context, named) == [], (name, text)


def ctx001_cases() -> list[Any]:
    document = YAML(typ="safe", pure=True).load((REPOSITORY / "rules" / "CTX001.yml").read_text(encoding="utf-8"))
    return [pytest.param(case, id=case["name"]) for case in document["cases"]]


# -------------------------------------------------------------------------------------- oracles


@requires_compose
@pytest.mark.parametrize("case", [c for c in ctx001_cases() if "fixed" in c.values[0]])
def test_fixed_case_passes_compose_and_buildkit_and_every_source_resolves(case: dict[str, Any], tmp_path: Path) -> None:
    write_files(tmp_path, case["files"])
    write_files(tmp_path, case["fixed"])
    check_with_oracles(tmp_path)


# Cases of rules/CTX001.yml where the rule's documentation says the alternative is not offered.
WITHOUT_ALTERNATIVE = {
    "arg-default-inside-the-context-is-fine": "no finding at all",
    "assumed-context-has-no-fix": "no Compose file builds the Dockerfile",
    "two-services-of-one-dockerfile-get-the-context-together": "more than one service builds the Dockerfile",
    "add-mixed-sources-and-missing-targets-get-no-fix": "`../nowhere` points at nothing",
    "a-named-context-is-checked-as-its-own-root": "the source leaves a named context, not the build context",
    "a-build-mapping-behind-an-anchor-gets-no-fix": "keys cannot be lined up under `build: &base`",
}


@requires_compose
@pytest.mark.parametrize("case", ctx001_cases())
def test_the_wider_context_alternative_is_sound(case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, case["files"])
    monkeypatch.chdir(tmp_path)
    alternatives = [fix for d in lint_tree(tmp_path, ("CTX001",)).diagnostics for fix in d.alternatives]
    if case["name"] in WITHOUT_ALTERNATIVE:
        assert alternatives == []
        return
    fix = alternatives[0]
    assert fix.applicability.label == "display-only"
    for source, edits in edits_by_source([fix]).values():
        Path(source.path).write_text(apply_edits(source.text, edits), encoding="utf-8")
    check_with_oracles(tmp_path)
    assert lint_tree(tmp_path, ("CTX001", "CTX002")).diagnostics == ()


def test_the_oracle_sees_the_missions_broken_copy() -> None:
    """The independent check above is able to fail: on the example as shipped it finds the COPY."""
    text = (EXAMPLE / "mcp-servers" / "redis" / "Dockerfile").read_text(encoding="utf-8")
    problems = escapes_or_missing(text, EXAMPLE / "mcp-servers" / "redis", {})
    assert problems == [f"../../lib/kilo-code: leaves {EXAMPLE / 'mcp-servers' / 'redis'}"]


@requires_compose
def test_unsafe_fixes_repair_the_mcp_monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "mcp-monorepo"
    shutil.copytree(EXAMPLE, copy)
    monkeypatch.chdir(copy)
    before = lint_tree(copy)
    assert [d.code for d in before.diagnostics] == ["CTX001"]
    code = main(["check", "--isolated", "--select", ",".join(CTX_RULES), "--fix", "--unsafe-fixes", str(copy)])
    capsys.readouterr()
    assert code == 0
    dockerfile_text = (copy / "mcp-servers" / "redis" / "Dockerfile").read_text(encoding="utf-8")
    assert "../" not in dockerfile_text
    assert "FROM node:18-alpine as dependencies" in dockerfile_text  # nothing else was touched
    check_with_oracles(copy)
    config = compose_json(copy / "docker-compose.yml")
    named = config["services"]["redis-mcp"]["build"]["additional_contexts"]
    assert {Path(path) for path in named.values()} == {copy / "lib" / "kilo-code"}
    assert lint_tree(copy).diagnostics == ()


# ----------------------------------------------------------------------------------- severities

_COMPOSE = "services:\n  app:\n    build: ./app\n"


@pytest.mark.parametrize(
    ("files", "severity"),
    [
        pytest.param({"compose.yaml": _COMPOSE, "app/Dockerfile": "FROM alpine\nCOPY missing.txt /\n"},
                     Severity.ERROR, id="compose-missing-file-fails-the-build"),
        pytest.param({"compose.yaml": _COMPOSE, "app/Dockerfile": "FROM alpine\nCOPY lib/*.js /\n"},
                     Severity.ERROR, id="compose-missing-glob-base-fails-the-build"),
        pytest.param({"compose.yaml": _COMPOSE, "app/Dockerfile": "FROM alpine\nCOPY *.js /\n"},
                     Severity.WARNING, id="compose-empty-glob-copies-nothing"),
        pytest.param({"app/Dockerfile": "FROM alpine\nCOPY missing.txt /\n"},
                     Severity.WARNING, id="assumed-missing-file-one-lower"),
        pytest.param({"app/Dockerfile": "FROM alpine\nCOPY *.js /\n"},
                     Severity.INFO, id="assumed-empty-glob-one-lower"),
        pytest.param({"app/Dockerfile": "FROM alpine\nCOPY app/run.sh /\n", "app/run.sh": "#!/bin/sh\n"},
                     Severity.INFO, id="assumed-explained-by-the-directory-above"),
    ],
)  # fmt: skip
def test_ctx002_severity(files: dict[str, str], severity: Severity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    write_files(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert only(lint_tree(tmp_path), "CTX002").severity is severity


def test_ctx002_names_the_directory_that_is_probably_the_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    write_files(tmp_path, {"docker/api/Dockerfile": "FROM alpine\nCOPY src/main.py /app/\n", "src/main.py": "print()\n"})
    monkeypatch.chdir(tmp_path)
    message = only(lint_tree(tmp_path), "CTX002").message
    assert "relative to `.`," in message  # the working directory, where the case lives
    assert "`build: {context: ., dockerfile: docker/api/Dockerfile}`" in message


@pytest.mark.parametrize(
    ("files", "severity"),
    [
        pytest.param({"compose.yaml": _COMPOSE, "app/.dockerignore": "*.env\n", "app/Dockerfile": "FROM alpine\nCOPY a.env /\n",
                      "app/a.env": "X=1\n"}, Severity.ERROR, id="compose-ignored-file-fails-the-build"),
        pytest.param({"compose.yaml": _COMPOSE, "app/.dockerignore": "*.env\n", "app/Dockerfile": "FROM alpine\nCOPY *.env /\n",
                      "app/a.env": "X=1\n"}, Severity.WARNING, id="compose-glob-of-ignored-files-copies-nothing"),
        pytest.param({"app/.dockerignore": "*.env\n", "app/Dockerfile": "FROM alpine\nCOPY a.env /\n", "app/a.env": "X=1\n"},
                     Severity.WARNING, id="assumed-one-lower"),
        pytest.param({"compose.yaml": _COMPOSE, "app/.dockerignore": "build\n", "app/Dockerfile": "FROM alpine\nCOPY build/*.html /\n",
                      "app/build/index.html": "hi\n"}, Severity.ERROR, id="compose-glob-in-an-ignored-directory-fails-the-build"),
    ],
)  # fmt: skip
def test_ctx003_severity(files: dict[str, str], severity: Severity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert only(lint_tree(tmp_path), "CTX003").severity is severity


def test_ctx003_names_the_deciding_line_of_the_ignore_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Docker: "the last line of the .dockerignore that matches a particular file determines whether
    # it is included or excluded" — the exception re-includes README.md, the last line excludes it again.
    ignore = "# build inputs only\ndocs\n!docs/README.md\ndocs/*.md\n"
    write_files(tmp_path, {
        "compose.yaml": _COMPOSE, "app/.dockerignore": ignore, "app/docs/README.md": "hi\n",
        "app/Dockerfile": "FROM alpine\nCOPY docs/README.md /doc/\n",
    })  # fmt: skip
    monkeypatch.chdir(tmp_path)
    message = only(lint_tree(tmp_path), "CTX003").message
    deciding_line = ignore.splitlines().index("docs/*.md") + 1
    assert f"`docs/*.md` (app/.dockerignore:{deciding_line})" in message


@pytest.mark.parametrize(
    ("files", "severity"),
    [
        pytest.param({"compose.yaml": _COMPOSE, "app/Dockerfile": "FROM alpine\nCOPY --from=helper /x /x\n"},
                     Severity.WARNING, id="compose-bare-name-is-pulled"),
        pytest.param({"app/Dockerfile": "FROM alpine\nCOPY --from=helper /x /x\n"},
                     Severity.INFO, id="assumed-bare-name-may-be-a-command-line-context"),
        pytest.param({"app/Dockerfile": "FROM alpine\nCOPY --from=Helper /x /x\n"},
                     Severity.ERROR, id="not-a-reference-fails-the-build"),
        pytest.param({"app/Dockerfile": "ARG H=helper\nFROM alpine\nARG H\nCOPY --from=$H /x /x\n"},
                     Severity.ERROR, id="variables-fail-the-build"),
    ],
)  # fmt: skip
def test_ctx004_severity(files: dict[str, str], severity: Severity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert only(lint_tree(tmp_path), "CTX004").severity is severity


def test_sources_are_expanded_once_per_build_whatever_the_number_of_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CTX001 builds fixes for every escaping source and CTX002/CTX003 read the same sources: were
    each to find them again, a Dockerfile of n escaping COPY lines would cost n² expansions."""
    count = 40
    lines = ["FROM alpine", "ARG V=1"] + [f"COPY ../lib/f{index} /dst/" for index in range(count)]
    write_files(tmp_path, {"compose.yaml": _COMPOSE, "app/Dockerfile": "\n".join(lines) + "\n"})
    write_files(tmp_path, {f"lib/f{index}": "" for index in range(count)})
    monkeypatch.chdir(tmp_path)
    expanded = []
    original = Dockerfile.expand

    def counting(self: Dockerfile, instruction: Any, text: str, build_args: Any = None) -> str | None:
        expanded.append(text)
        return original(self, instruction, text, build_args)

    monkeypatch.setattr(Dockerfile, "expand", counting)
    findings = lint_tree(tmp_path, ("CTX001", "CTX002", "CTX003")).diagnostics
    assert len(findings) == count and all(len(d.alternatives) == 1 for d in findings)
    sources = sorted(text for text in expanded if text.startswith("../"))
    assert sources == sorted(f"../lib/f{index}" for index in range(count))


def test_ctx001_message_names_the_context_and_the_line_that_set_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compose = "services:\n  app:\n    image: app:dev\n    build:\n      context: ./app\n"
    write_files(tmp_path, {"compose.yaml": compose, "app/Dockerfile": "FROM alpine\nCOPY ../x /x\n", "x": "x\n"})
    monkeypatch.chdir(tmp_path)
    message = only(lint_tree(tmp_path), "CTX001").message
    context_line = compose.splitlines().index("      context: ./app") + 1
    assert f"the build context app (set by compose.yaml:{context_line})" in message
    (tmp_path / "compose.yaml").unlink()
    assert "assumed" in only(lint_tree(tmp_path), "CTX001").message


def test_ctx_messages_show_paths_relative_below_the_working_directory_else_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = (
        "services:\n  app:\n    build:\n      context: ./app\n"
        "      additional_contexts:\n        shared: ./shared\n"
    )
    project = tmp_path / "project"
    write_files(project, {
        "compose.yaml": compose,
        "app/Dockerfile": "FROM alpine\nCOPY ../x /x\nCOPY --from=shared missing.txt /m\n",
        "x": "x\n",
        "shared/present.txt": "",
    })  # fmt: skip
    context_line = compose.splitlines().index("      context: ./app") + 1
    shared_line = compose.splitlines().index("        shared: ./shared") + 1
    (tmp_path / "elsewhere").mkdir()
    for cwd, shown in ((project, lambda path: path.relative_to(project).as_posix()), (tmp_path / "elsewhere", str)):
        monkeypatch.chdir(cwd)
        result = lint_tree(project)
        assert (
            f"the build context {shown(project / 'app')} (set by {shown(project / 'compose.yaml')}:{context_line})"
            in only(result, "CTX001").message
        )
        assert (
            f"the named context `shared` {shown(project / 'shared')} (set by {shown(project / 'compose.yaml')}:{shared_line})"
            in only(result, "CTX002").message
        )


# ----------------------------------------------------------------------------------- properties

_SEGMENT = st.sampled_from(["a", "b", "..", ".", ""])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(segments=st.lists(_SEGMENT, min_size=1, max_size=6), absolute=st.booleans())
def test_ctx001_reports_exactly_the_paths_that_climb_above_the_context(
    segments: list[str], absolute: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    written = ("/" if absolute else "") + "/".join(segments)
    if not written.strip("/"):
        return
    root = tmp_path_factory.mktemp("ctx")
    write_files(root, {"compose.yaml": _COMPOSE, "app/Dockerfile": f"FROM alpine\nCOPY {written} /dst/\n"})
    # The oracle: climbing above the root means that some prefix of the path has more `..` than names.
    depth, climbs = 0, False
    for segment in written.split("/"):
        if segment == "..":
            depth -= 1
            climbs = climbs or depth < 0
            depth = max(depth, 0)
        elif segment not in ("", "."):
            depth += 1
    found = [d for d in lint_tree(root, ("CTX001",), [root / "compose.yaml"]).diagnostics]
    assert bool(found) == climbs, written


# --------------------------------------------------------------------------------------- corpus

# Every CTX002/CTX003 finding on ../shared/corpus, by Dockerfile and line, with why it is true.
CORPUS_FINDINGS = {
    ("CTX002", "hadolint__hadolint/docker/Dockerfile", line): (
        "`COPY --chmod=777 hadolint /bin/hadolint` copies a release binary that hadolint's CI puts into "
        "docker/ before building; the repository (FILES.txt and the _meta tree) has no docker/hadolint, "
        "and no Compose file builds it, so the context is assumed and the finding is a warning"
    )
    for line in (2, 7, 12)
}


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent (it is read from there, never copied into the repository)")
    return CORPUS


def _tree(corpus: Path, project: str) -> tuple[set[str], set[str]]:
    """The real repository's paths and the build-context directories the corpus did not export whole."""
    meta = json.loads((corpus / "_meta" / f"{project}.json").read_text(encoding="utf-8"))
    return set(meta["tree"]), set(meta.get("anchor_dirs_not_exported_whole", []))


def _exists_in_tree(tree: set[str], relative: str) -> bool:
    if relative in tree or any(path.startswith(relative + "/") for path in tree):
        return True
    return any(fnmatch.fnmatchcase(path, relative) for path in tree)


def test_corpus_context_findings_are_all_true(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The corpus keeps only empty placeholders of exported contexts, and some contexts were not
    exported at all. A finding whose source is in the real repository's tree (`_meta/*.json`) and
    whose context was not exported whole is an artifact of the export and is left out; every other
    finding must be listed above with its reason, and every listed one must be found."""
    monkeypatch.chdir(corpus)
    resolver = ConfigResolver(None, Overrides(select=CTX_RULES), isolated=True)
    discovered = discover([corpus], resolver)
    inputs = load_inputs(Workspace(), discovered.dockerfiles, discovered.compose_files)
    found: dict[tuple[str, str, int], Diagnostic] = {}
    artifacts = []
    for code in CTX_RULES:
        registered = find_rule(code)
        assert registered is not None
        for project in inputs.projects:
            for diagnostic in registered.check(project, Context(registered.rule)):
                relative = diagnostic.path.resolve().relative_to(corpus).as_posix()
                key = (code, relative, diagnostic.start_location[0])
                assert code in ("CTX002", "CTX003"), (key, diagnostic.message)
                build, source = next(
                    (build, source)
                    for build in project.builds
                    for source in copy_sources(build)
                    if build.dockerfile.path == diagnostic.path and source.span.start == diagnostic.span.start
                )
                assert source.expanded is not None
                top = relative.split("/", 1)[0]
                tree, not_exported = _tree(corpus, top)
                context = build.context.path.resolve().relative_to(corpus / top).as_posix()
                cleaned, _ = clean_context_path(source.expanded)
                in_repository = _exists_in_tree(tree, cleaned if context == "." else f"{context}/{cleaned}")
                if context in not_exported and in_repository:
                    artifacts.append(key)
                    continue
                found[key] = diagnostic
    assert sorted(found) == sorted(CORPUS_FINDINGS)
    for diagnostic in found.values():
        dockerfile = diagnostic.path
        builds = [b for p in inputs.projects for b in p.builds if b.dockerfile.path == dockerfile]
        if all(b.context.assumed for b in builds):
            assert diagnostic.severity < Severity.ERROR, diagnostic.message
    # The export artifacts are the React frontends whose package files were not exported.
    assert artifacts and all("awesome-compose" in path for _, path, _ in artifacts)


def test_a_broken_ignore_file_is_a_parse_error_not_a_ctx003_finding(tmp_path: Path) -> None:
    """Docker refuses `[z-` and fails before any COPY: MC001 says so at the pattern, CTX003 stays quiet."""
    write_files(tmp_path, {
        "compose.yaml": "services:\n  api:\n    build: ./api\n",
        "api/.dockerignore": "[z-\n",
        "api/Dockerfile": "FROM alpine:3.20\nCOPY x /opt/\n",
        "api/x": "x\n",
    })  # fmt: skip
    result = lint_tree(tmp_path, select=("CTX003", "MC001"))
    assert [(d.code, d.path.name, d.start_location) for d in result.diagnostics] == [("MC001", ".dockerignore", (1, 1))]
