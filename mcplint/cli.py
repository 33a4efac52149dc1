"""The command line: `mcplint check`, `mcplint rule`, `mcplint rules`.

`main(argv)` returns the exit status: 0 clean, 1 findings, 2 usage, configuration or internal error.
A usage or configuration error is one line on stderr, never a traceback (unless `--verbose`).
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from mcplint import __version__
from mcplint.config import OUTPUT_FORMATS, ConfigError, ConfigResolver, Overrides

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _codes(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mcplint",
        description="Lint Dockerfiles and Docker Compose files together: build contexts, healthchecks, memory budgets.",
    )
    parser.add_argument("--version", action="version", version=f"mcplint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser("check", help="lint files and directories (the default: .)")
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or directories (default: .)")
    fixing = check.add_argument_group("fixing")
    fixing.add_argument("--fix", action=argparse.BooleanOptionalAction, default=False, help="apply safe fixes")
    fixing.add_argument(
        "--unsafe-fixes", action=argparse.BooleanOptionalAction, default=None,
        help="also apply fixes that may change behaviour (with --fix or --diff)",
    )  # fmt: skip
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    fixing.add_argument("--show-fixes", action="store_true", help="list the fixes that were applied")
    selection = check.add_argument_group("rule selection")
    selection.add_argument("--select", type=_codes, action="append", metavar="RULES", help="rules to enable (codes, names, prefixes or ALL); replaces the configured selection")
    selection.add_argument("--extend-select", type=_codes, action="append", metavar="RULES", help="rules to enable on top of the selection")
    selection.add_argument("--ignore", type=_codes, action="append", metavar="RULES", help="rules to disable")
    output = check.add_argument_group("output")
    output.add_argument("--output-format", choices=OUTPUT_FORMATS, default=None, help="how findings are printed (default: full, or MCPLINT_OUTPUT_FORMAT)")
    output.add_argument("-o", "--output-file", type=Path, metavar="FILE", help="write the report to FILE instead of stdout")
    output.add_argument("--statistics", action="store_true", help="count findings per rule")
    output.add_argument("-q", "--quiet", action="store_true", help="print findings only, no summary")
    output.add_argument("-v", "--verbose", action="store_true", help="print tracebacks of internal errors")
    status = check.add_argument_group("exit status")
    status.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings (2 still means an error)")
    status.add_argument("--exit-non-zero-on-fix", action="store_true", help="exit 1 when files were fixed, even if nothing remains")
    files = check.add_argument_group("configuration and files")
    files.add_argument("--config", type=Path, metavar="FILE", help="use this configuration file for every path")
    files.add_argument("--isolated", action="store_true", help="ignore all configuration files")
    files.add_argument("--force-exclude", action="store_true", help="apply `exclude` to paths named on the command line too")
    compose = check.add_argument_group("compose")
    compose.add_argument("--env-file", type=Path, action="append", metavar="FILE", help="read interpolation variables from FILE instead of each project's .env (repeatable)")
    compose.add_argument("--profile", action="append", metavar="NAME", help="activate a Compose profile (repeatable; default: COMPOSE_PROFILES)")

    rule = commands.add_parser("rule", help="show a rule's documentation")
    rule.add_argument("rule", metavar="CODE|NAME")
    rule.add_argument("--output-format", choices=("text", "json"), default="text")

    rules = commands.add_parser("rules", help="list every rule")
    rules.add_argument("--output-format", choices=("text", "json"), default="text")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in argv or "--verbose" in argv
    try:
        parser = build_parser()
        if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
            argv = ["check", *argv]
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_CLEAN
        if args.command == "rule":
            return _rule_command(args)
        if args.command == "rules":
            return _rules_command(args)
        return _check_command(args)
    except UsageError as exc:
        print(f"mcplint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ConfigError as exc:
        print(f"mcplint: configuration error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("mcplint: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:  # the last line of defence: one line, exit 2, traceback on demand
        if verbose:
            traceback.print_exc()
        print(f"mcplint: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _flatten(groups: list[list[str]] | None) -> tuple[str, ...] | None:
    if groups is None:
        return None
    return tuple(code for group in groups for code in group)


def _check_command(args: argparse.Namespace) -> int:
    from mcplint.diagnostics import Applicability
    from mcplint.discovery import discover
    from mcplint.engine import fix, lint, write_changes
    from mcplint.models.compose_loader import LoadOptions
    from mcplint.output import FORMATS, Report, formatter
    from mcplint.registry import expand_selector

    for selectors in (args.select, args.extend_select, args.ignore):
        for selector in _flatten(selectors) or ():
            try:
                expand_selector(selector)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
    if args.config is not None and not args.config.is_file():
        raise ConfigError(f"{args.config}: no such configuration file")
    env_format = os.environ.get("MCPLINT_OUTPUT_FORMAT")
    if env_format and env_format not in FORMATS:
        raise UsageError(f"MCPLINT_OUTPUT_FORMAT={env_format!r} is not one of {', '.join(FORMATS)}")
    overrides = Overrides(
        select=_flatten(args.select),
        extend_select=_flatten(args.extend_select) or (),
        ignore=_flatten(args.ignore) or (),
        unsafe_fixes=args.unsafe_fixes,
        output_format=args.output_format,
    )
    resolver = ConfigResolver(args.config, overrides, isolated=args.isolated)
    settings = resolver.default()
    output_format = args.output_format or settings.output_format or env_format or "full"
    unsafe = settings.unsafe_fixes
    paths = args.paths or [Path(".")]
    discovered = discover(paths, resolver, force_exclude=args.force_exclude)
    for problem in discovered.problems:
        print(f"mcplint: error: {problem}", file=sys.stderr)

    load_options = LoadOptions(
        environment=dict(os.environ),
        env_files=tuple(args.env_file) if args.env_file else None,
        profiles=tuple(args.profile) if args.profile else None,
    )
    threshold = Applicability.UNSAFE if unsafe else Applicability.SAFE
    internal_errors: list[str] = []
    fixed = []
    if args.diff or args.fix:
        outcome = fix(discovered, resolver, threshold, verbose=args.verbose, load_options=load_options)
        internal_errors += outcome.internal_errors + list(outcome.result.internal_errors)
        result = outcome.result
        fixed = outcome.applied
        if args.diff:
            stream = sys.stdout
            _print_diffs(outcome, stream)
            _print_unapplied(outcome.result.diagnostics, stream, unsafe)
            for error in internal_errors:
                print(f"mcplint: {error}", file=sys.stderr)
            count = len(outcome.applied)
            if not args.quiet:
                print(
                    f"{count} fix{'es' if count != 1 else ''} would be applied"
                    + ("" if unsafe else " (add --unsafe-fixes to include unsafe fixes)"),
                    file=sys.stderr,
                )
            if internal_errors or discovered.problems:
                return EXIT_ERROR
            return EXIT_FINDINGS if outcome.changed else EXIT_CLEAN
        internal_errors += write_changes(outcome.changed)
    else:
        result = lint(discovered, resolver, verbose=args.verbose, load_options=load_options)
        internal_errors += list(result.internal_errors)

    diagnostics = result.diagnostics
    if internal_errors or discovered.problems:
        exit_code = EXIT_ERROR
    elif args.exit_zero:
        exit_code = EXIT_CLEAN
    elif diagnostics or (args.exit_non_zero_on_fix and fixed):
        exit_code = EXIT_FINDINGS
    else:
        exit_code = EXIT_CLEAN
    report = Report(
        diagnostics=diagnostics,
        fixed=fixed,
        exit_code=exit_code,
        show_fixes=args.show_fixes,
        statistics=args.statistics,
        unsafe_fixes=unsafe,
        fix_mode=args.fix,
        quiet=args.quiet,
        internal_errors=internal_errors,
    )
    writer = formatter(output_format)
    if args.output_file:
        buffer = io.StringIO()
        writer.write(report, buffer)
        try:
            args.output_file.write_text(buffer.getvalue(), encoding="utf-8")
        except OSError as exc:
            print(f"mcplint: error: cannot write {args.output_file}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_ERROR
    else:
        writer.write(report, sys.stdout)
    for error in internal_errors:
        print(f"mcplint: {error}", file=sys.stderr)
    return exit_code


def _print_diffs(outcome, stream: TextIO) -> None:  # noqa: ANN001
    from mcplint.output import Report

    report = Report(diagnostics=())
    for path in sorted(outcome.changed):
        before = outcome.originals[path].text
        after = outcome.changed[path].text
        shown = report.display_path(path)
        stream.writelines(
            difflib.unified_diff(
                before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{shown}", f"b/{shown}"
            )
        )
        if not after.endswith("\n") or not before.endswith("\n"):
            stream.write("\n\\ No newline at end of file\n")


def _print_unapplied(diagnostics, stream: TextIO, unsafe: bool) -> None:  # noqa: ANN001
    """Fixes --diff did not apply (unsafe without --unsafe-fixes, display-only alternatives), each alone."""
    from mcplint.diagnostics import Applicability
    from mcplint.fixes import apply_edits, edits_by_source
    from mcplint.output import Report

    report = Report(diagnostics=())
    for diagnostic in diagnostics:
        options = []
        if diagnostic.fix and (diagnostic.fix.applicability is Applicability.DISPLAY_ONLY or (diagnostic.fix.applicability is Applicability.UNSAFE and not unsafe)):
            options.append(diagnostic.fix)
        options.extend(diagnostic.alternatives)
        for option in options:
            line, column = diagnostic.start_location
            stream.write(
                f"# {report.display_path(diagnostic.path)}:{line}:{column} {diagnostic.code} "
                f"[{option.applicability.label}, not applied] {option.title}\n"
            )
            for source, edits in edits_by_source([option]).values():
                shown = report.display_path(source.path)
                after = apply_edits(source.text, edits)
                stream.writelines(
                    difflib.unified_diff(
                        source.text.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{shown}", f"b/{shown}"
                    )
                )


def _rule_command(args: argparse.Namespace) -> int:
    import json

    from mcplint.docs import render_rule, rule_json
    from mcplint.registry import find_rule

    registered = find_rule(args.rule)
    if registered is None:
        raise UsageError(f"unknown rule {args.rule!r} (see `mcplint rules`)")
    if args.output_format == "json":
        print(json.dumps(rule_json(registered), indent=2, sort_keys=True))
    else:
        print(render_rule(registered), end="")
    return EXIT_CLEAN


def _rules_command(args: argparse.Namespace) -> int:
    import json

    from mcplint.docs import rule_json
    from mcplint.registry import all_rules

    rules = all_rules()
    if args.output_format == "json":
        print(json.dumps([rule_json(r) for r in rules], indent=2, sort_keys=True))
        return EXIT_CLEAN
    width = max(len(r.name) for r in rules)
    for registered in rules:
        fix = {"none": " ", "sometimes": "~", "always": "*"}[registered.rule.fix.value]
        print(f"{registered.code:<7} {fix} {registered.name:<{width}}  {registered.summary}")
    return EXIT_CLEAN
