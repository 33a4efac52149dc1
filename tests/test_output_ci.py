"""`--output-format github` and `gitlab`, checked field by field against their documented formats.

GitHub: workflow commands `::error file=…,line=…,endLine=…,col=…,endColumn=…,title=…::message`
(docs.github.com "Workflow commands"); values are decoded here the way the runner decodes them
(`actions/runner` ActionCommand: `%25`, `%0D`, `%0A`, and in properties `%3A`, `%2C`), and the runner
ignores columns on multi-line annotations. GitLab: the Code Quality report (docs.gitlab.com "Code
Quality", "Implement a custom tool"): a JSON array of objects with `description`, `check_name`,
`fingerprint`, `severity` (info, minor, major, critical, blocker) and `location.path` plus
`location.positions.begin.line`; no byte order mark.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from mcplint.cli import main
from mcplint.diagnostics import Diagnostic, Edit, Fix, Severity, Span
from mcplint.output import Report
from mcplint.output.github import write as write_github
from mcplint.output.gitlab import write as write_gitlab
from mcplint.source import SourceFile

CHECKOUT = Path(__file__).resolve().parent.parent
EXAMPLE = CHECKOUT / "examples" / "mcp-monorepo"

NASTY_MESSAGE = "100% of 2,048: too much\r\nsee: the docs, line 2"
NASTY_DIRECTORY = "a,b:c%d"


def diagnostic(
    path: Path, text: str, start: int, end: int, *, severity: Severity = Severity.WARNING, message: str = "m", **extra
) -> Diagnostic:  # noqa: ANN003
    return Diagnostic("DF001", "from-as-casing", severity, message, Span(SourceFile(path, text), start, end), **extra)


def render(write, report: Report) -> str:  # noqa: ANN001
    stream = io.StringIO()
    write(report, stream)
    return stream.getvalue()


# --------------------------------------------------------------------------------- GitHub

_COMMAND = re.compile(r"::(?P<command>[a-z]+)(?: (?P<properties>[^:]*))?::(?P<message>[^\r\n]*)")


def _unescape(value: str, *, property_value: bool) -> str:
    # The runner's table, with %25 last so that an escaped '%' is never decoded twice.
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if property_value else []) + [("%25", "%")]
    for escaped, plain in pairs:
        value = value.replace(escaped, plain)
    return value


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    match = _COMMAND.fullmatch(line)
    assert match, f"not a workflow command: {line!r}"
    properties = {}
    for item in filter(None, (match.group("properties") or "").split(",")):
        key, _, value = item.partition("=")
        assert key not in properties, f"repeated property {key}"
        properties[key] = _unescape(value, property_value=True)
    return match.group("command"), properties, _unescape(match.group("message"), property_value=False)


def test_annotation_fields_and_escaping(tmp_path: Path) -> None:
    path = tmp_path / NASTY_DIRECTORY / "Dockerfile"
    text = "FROM alpine:3.20 as build\n"
    start = text.index("as")
    report = Report(
        [diagnostic(path, text, start, start + 2, message=NASTY_MESSAGE, detail="50% more\nof it")], root=tmp_path
    )
    output = render(write_github, report)
    lines = output.splitlines()
    assert len(lines) == 1 and output.endswith("\n")  # a message's line breaks are escaped, never written
    command, properties, message = parse_command(lines[0])
    assert command == "warning"
    assert properties == {
        "file": f"{NASTY_DIRECTORY}/Dockerfile",
        "line": "1",
        "endLine": "1",
        "col": str(start + 1),
        "endColumn": str(start + 3),
        "title": "DF001 (from-as-casing)",
    }
    assert message.startswith(NASTY_MESSAGE + "\n50% more\nof it")
    raw_properties = lines[0].split("::")[1]
    assert "%2C" in raw_properties and "%3A" in raw_properties and "%25" in raw_properties


def test_columns_only_on_one_line_and_severities(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    text = "FROM alpine:3.20\nRUN a \\\n    && b\n"
    run_start = text.index("RUN")
    report = Report(
        [
            diagnostic(path, text, run_start, len(text), severity=Severity.ERROR),  # lines 2-3 (and the final break)
            diagnostic(path, text, 0, 4, severity=Severity.INFO),
        ],
        root=tmp_path,
    )
    first, second = (parse_command(line) for line in render(write_github, report).splitlines())
    assert first[0] == "notice" and first[1]["line"] == "1" and first[1]["col"] == "1" and first[1]["endColumn"] == "5"
    assert second[0] == "error"
    assert (second[1]["line"], second[1]["endLine"]) == ("2", "3")  # not 4: the range ends with line 3's break
    assert "col" not in second[1] and "endColumn" not in second[1]


def test_fix_hint_and_internal_errors(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    source_text = "FROM a as b\n"
    source = SourceFile(path, source_text)
    fixed = Diagnostic(
        "DF001",
        "from-as-casing",
        Severity.WARNING,
        "m",
        Span(source, 7, 9),
        Fix.safe("Write `AS`", Edit(source, 7, 9, "AS")),
    )
    report = Report([fixed], internal_errors=["internal error in XX001: boom, at a:1"], root=tmp_path)
    annotation, error = (parse_command(line) for line in render(write_github, report).splitlines())
    assert annotation[2] == "m\nFix available (safe): Write `AS`"
    assert error == ("error", {"title": "mcplint internal error"}, "internal error in XX001: boom, at a:1")


def test_paths_are_relative_to_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    path = tmp_path / "services" / "api" / "Dockerfile"
    report = Report([diagnostic(path, "FROM a\n", 0, 4)], root=tmp_path / "services")
    ((_, properties, _),) = (parse_command(line) for line in render(write_github, report).splitlines())
    assert properties["file"] == "services/api/Dockerfile"


def test_cli_writes_one_annotation_per_finding(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CHECKOUT)
    monkeypatch.delenv("MCPLINT_OUTPUT_FORMAT", raising=False)
    main(["check", "--output-format", "json", str(EXAMPLE)])
    findings = json.loads(capsys.readouterr().out)
    assert main(["check", "--output-format", "github", str(EXAMPLE)]) == 1
    commands = [parse_command(line) for line in capsys.readouterr().out.splitlines()]
    levels = {"error": "error", "warning": "warning", "info": "notice"}
    assert sorted((c, p["file"], p["line"], p["col"]) for c, p, _ in commands) == sorted(
        (levels[f["severity"]], f["path"], str(f["start"]["line"]), str(f["start"]["column"])) for f in findings
    )


# --------------------------------------------------------------------------------- GitLab

GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def check_issue_shape(issue: dict) -> None:
    assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
    assert all(isinstance(issue[key], str) and issue[key] for key in ("description", "check_name", "fingerprint"))
    assert issue["severity"] in GITLAB_SEVERITIES
    location = issue["location"]
    assert set(location) == {"path", "positions"}
    assert not location["path"].startswith(("/", "./"))
    for end in ("begin", "end"):
        position = location["positions"][end]
        assert set(position) == {"line", "column"}
        assert all(isinstance(position[key], int) and position[key] >= 1 for key in ("line", "column"))


def test_issue_fields_and_severities(tmp_path: Path) -> None:
    path = tmp_path / NASTY_DIRECTORY / "Dockerfile"
    text = "FROM alpine:3.20 as build\nRUN a\n"
    start = text.index("as")
    report = Report(
        [
            diagnostic(path, text, start, start + 2, severity=Severity.ERROR, message=NASTY_MESSAGE),
            diagnostic(path, text, text.index("RUN"), len(text), severity=Severity.WARNING),
            diagnostic(path, text, 0, 4, severity=Severity.INFO),
        ],
        root=tmp_path,
    )
    issues = json.loads(render(write_gitlab, report))
    assert isinstance(issues, list) and len(issues) == 3
    for issue in issues:
        check_issue_shape(issue)
    info, error, warning = issues  # sorted by position
    assert (error["severity"], warning["severity"], info["severity"]) == ("major", "minor", "info")
    assert error["check_name"] == "DF001" and NASTY_MESSAGE in error["description"]
    assert error["location"] == {
        "path": f"{NASTY_DIRECTORY}/Dockerfile",
        "positions": {"begin": {"line": 1, "column": start + 1}, "end": {"line": 1, "column": start + 3}},
    }
    assert warning["location"]["positions"] == {"begin": {"line": 2, "column": 1}, "end": {"line": 2, "column": 6}}


def test_fingerprints_are_unique_and_do_not_depend_on_the_line(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"

    def fingerprints(text: str, target: Path = path) -> list[str]:
        found = [m.start() + 1 for m in re.finditer(" as ", text)]
        report = Report([diagnostic(target, text, s, s + 2) for s in found], root=tmp_path)
        return [issue["fingerprint"] for issue in json.loads(render(write_gitlab, report))]

    text = "FROM a as b\nFROM b as c\n"
    keys = fingerprints(text)
    assert len(set(keys)) == 2  # equal findings (same rule, file, text) stay apart
    assert fingerprints("# moved down\n\n" + text) == keys
    assert set(fingerprints(text, tmp_path / "other" / "Dockerfile")).isdisjoint(keys)


def test_cli_report_has_no_byte_order_mark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CHECKOUT)
    monkeypatch.delenv("MCPLINT_OUTPUT_FORMAT", raising=False)
    output = tmp_path / "gl-code-quality-report.json"
    assert main(["check", "--output-format", "gitlab", "-o", str(output), str(EXAMPLE)]) == 1
    data = output.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    issues = json.loads(data.decode("utf-8"))
    for issue in issues:
        check_issue_shape(issue)
        assert (CHECKOUT / issue["location"]["path"]).is_file()
    main(["check", "--output-format", "json", str(EXAMPLE)])
    assert len(issues) == len(json.loads(capsys.readouterr().out)) > 0
