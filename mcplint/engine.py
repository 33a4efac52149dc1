"""Linting and fixing, top to bottom.

`lint` loads the requested files and the files they link to, runs every enabled rule on its scope,
keeps the findings located in requested files, and applies suppressions. `fix` repeats
lint → apply compatible fixes until nothing changes (at most ten passes, stopping if a text comes
back), checking after every pass that each changed file still parses; a fix that breaks a file is
dropped and reported as an internal error. Nothing here writes to disk: see `write_changes`.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mcplint.config import ConfigResolver, Settings
from mcplint.diagnostics import Applicability, Diagnostic, Fix, ParseProblem, Span
from mcplint.discovery import Discovered
from mcplint.fixes import apply_edits, choose_compatible, edits_by_source
from mcplint.models.compose_loader import LoadOptions
from mcplint.models.dockerignore import parse_dockerignore, pattern_error
from mcplint.project import LoadedInputs, compose_file_model, dockerfile_model, load_inputs
from mcplint.registry import Context, RegisteredRule, Scope, all_rules, find_rule
from mcplint.source import SourceFile
from mcplint.suppressions import Suppression, dockerfile_suppressions, unused_codes, yaml_suppressions
from mcplint.workspace import Workspace

MAX_FIX_PASSES = 10


@dataclass(frozen=True)
class LintResult:
    diagnostics: tuple[Diagnostic, ...]
    internal_errors: tuple[str, ...] = ()
    sources: tuple[SourceFile, ...] = ()  # the requested files as linted
    reportable: frozenset[Path] = frozenset()  # requested files and the files they pull in


@dataclass
class FixOutcome:
    result: LintResult  # what remains after fixing
    originals: dict[Path, SourceFile] = field(default_factory=dict)
    changed: dict[Path, SourceFile] = field(default_factory=dict)  # final texts of changed files
    applied: list[Diagnostic] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)


class _Run:
    """One lint pass over a workspace."""

    def __init__(
        self,
        workspace: Workspace,
        discovered: Discovered,
        resolver: ConfigResolver,
        verbose: bool,
        load_options: LoadOptions | None = None,
    ) -> None:
        self.workspace = workspace
        self.load_options = load_options
        self.discovered = discovered
        self.resolver = resolver
        self.verbose = verbose
        self.requested = {Workspace.key(path) for path in discovered.requested}
        self.errors: list[str] = []

    def settings(self, path: Path) -> Settings:
        return self.resolver.for_path(path)

    def run_rule(self, registered: RegisteredRule, target: object, primary: Path) -> Iterator[Diagnostic]:
        settings = self.settings(primary)
        ctx = Context(registered.rule, settings.options_for(registered), settings.severity_for(registered.code))
        try:
            yield from registered.check(target, ctx)
        except Exception as exc:  # a rule bug must not cost the user the other findings
            detail = traceback.format_exc() if self.verbose else f"{type(exc).__name__}: {exc}"
            self.errors.append(f"internal error in {registered.code} ({registered.name}) on {primary}: {detail}")

    def lint(self) -> LintResult:
        inputs = load_inputs(self.workspace, self.discovered.dockerfiles, self.discovered.compose_files, self.load_options)
        rules = [registered for registered in all_rules() if self._enabled_anywhere(registered)]
        raw: list[Diagnostic] = []
        problems = list(self._parse_problems(inputs))
        for registered in rules:
            scope = registered.rule.scope
            if scope is Scope.DOCKERFILE:
                for dockerfile in inputs.dockerfiles:
                    if dockerfile.instructions:
                        raw.extend(self.run_rule(registered, dockerfile, dockerfile.path))
            elif scope is Scope.COMPOSE:
                for compose in inputs.compose_projects:
                    if not compose.fatal:
                        raw.extend(self.run_rule(registered, compose, compose.main_file.source.path))
            elif scope is Scope.PROJECT:
                for project in inputs.projects:
                    if project.compose is None or not project.compose.fatal:
                        raw.extend(self.run_rule(registered, project, project.primary_path))
        parse_rule = find_rule("MC001")
        if parse_rule is not None:
            raw.extend(self.run_rule(parse_rule, problems, Path.cwd()))
        self.reportable = self.requested | inputs.related
        kept = []
        seen: set[tuple] = set()
        for d in raw:
            # The same Dockerfile can be built by two projects (compose.yml and compose.prod.yml).
            identity = (d.code, Workspace.key(d.path), d.span.start, d.span.end, d.message)
            if identity in seen:
                continue
            seen.add(identity)
            if Workspace.key(d.path) in self.reportable and self.settings(d.path).is_enabled(d.code, d.path):
                kept.append(d)
        kept = self._apply_suppressions(kept, inputs)
        kept.sort(key=Diagnostic.sort_key)
        sources = self._requested_sources(inputs)
        return LintResult(tuple(kept), tuple(self.errors), tuple(sources), frozenset(self.reportable))

    def _enabled_anywhere(self, registered: RegisteredRule) -> bool:
        if registered.rule.scope is Scope.META:
            return False  # the engine calls meta rules itself
        return any(self.settings(path).is_enabled(registered.code) for path in self.discovered.requested)

    def _parse_problems(self, inputs: LoadedInputs) -> Iterator[ParseProblem]:
        for unreadable in inputs.unreadable:
            offset = min(unreadable.offset, len(unreadable.source.text))
            yield ParseProblem(Span(unreadable.source, offset, offset), unreadable.message)
        for dockerfile in inputs.dockerfiles:
            for problem in dockerfile.problems:
                yield ParseProblem(Span(dockerfile.source, problem.start, problem.end), problem.message)
        for compose in inputs.compose_projects:
            for problem in compose.problems:
                yield ParseProblem(problem.span, problem.message)
        yield from _ignore_file_problems(inputs)

    def _requested_sources(self, inputs: LoadedInputs) -> list[SourceFile]:
        sources = [dockerfile.source for dockerfile in inputs.dockerfiles]
        for compose in inputs.compose_projects:
            sources.extend(f.source for f in compose.files if Workspace.key(f.source.path) in self.requested)
        return sources

    def _suppressions_of(self, source: SourceFile) -> list[Suppression]:
        """Suppression comments of a file, read with the grammar of its kind."""
        from mcplint.discovery import dockerfile_kind

        if "mcplint:" not in source.text:
            return []
        name = source.path.name
        if dockerfile_kind(name):
            dockerfile = dockerfile_model(self.workspace, source)
            comments = [(c.start, c.end, c.line) for c in dockerfile.comments]
            lines = [(i.start_line, i.end_line) for i in dockerfile.instructions]
            return dockerfile_suppressions(source, comments, lines)
        if name.lower().endswith((".yml", ".yaml")):
            return yaml_suppressions(source, _inside_any(compose_file_model(self.workspace, source).scalar_ranges()))
        # postgresql.conf, .env, .dockerignore: '#' starts a comment wherever it stands.
        return yaml_suppressions(source, lambda offset: False)

    def _suppressions(self, inputs: LoadedInputs, diagnostics: list[Diagnostic]) -> list[Suppression]:
        sources: dict[int, SourceFile] = {id(s): s for s in self._requested_sources(inputs)}
        for diagnostic in diagnostics:
            sources.setdefault(id(diagnostic.source), diagnostic.source)
        found: list[Suppression] = []
        for source in sources.values():
            found.extend(self._suppressions_of(source))
        return found

    def _apply_suppressions(self, diagnostics: list[Diagnostic], inputs: LoadedInputs) -> list[Diagnostic]:
        suppressions = self._suppressions(inputs, diagnostics)
        if not suppressions:
            return diagnostics
        by_source: dict[int, list[Suppression]] = {}
        for suppression in suppressions:
            by_source.setdefault(id(suppression.source), []).append(suppression)
        used: dict[int, set[str]] = {}
        kept = []
        for diagnostic in diagnostics:
            line = diagnostic.start_location[0]
            covering = [s for s in by_source.get(id(diagnostic.source), ()) if s.covers(diagnostic.code, line)]
            for suppression in covering:
                used.setdefault(id(suppression), set()).add(diagnostic.code)
            if not covering:
                kept.append(diagnostic)
        unused = []
        for suppression in suppressions:
            settings = self.settings(suppression.source.path)
            candidates = unused_codes(suppression, used.get(id(suppression), ()))
            # A code for a rule that is off for this file cannot be judged: leave it alone.
            judged = [c for c in candidates if c.code is None or settings.is_enabled(c.code, suppression.source.path)]
            if judged:
                unused.append((suppression, judged))
        unused_rule = find_rule("MC002")
        if unused and unused_rule is not None:
            for diagnostic in self.run_rule(unused_rule, unused, Path.cwd()):
                if not self.settings(diagnostic.path).is_enabled(diagnostic.code, diagnostic.path):
                    continue
                line = diagnostic.start_location[0]
                if not any(s.whole_file and s.covers("MC002", line) for s in by_source.get(id(diagnostic.source), ())):
                    kept.append(diagnostic)
        return kept


def _inside_any(ranges: list[tuple[int, int]]) -> Callable[[int], bool]:
    import bisect

    starts = [start for start, _ in ranges]

    def inside(offset: int) -> bool:
        index = bisect.bisect_right(starts, offset) - 1
        return index >= 0 and ranges[index][0] <= offset < ranges[index][1]

    return inside


def lint(
    discovered: Discovered,
    resolver: ConfigResolver,
    *,
    workspace: Workspace | None = None,
    verbose: bool = False,
    load_options: LoadOptions | None = None,
) -> LintResult:
    return _Run(workspace or Workspace(), discovered, resolver, verbose, load_options).lint()


# ------------------------------------------------------------------------------------- fixing


def problem_count(workspace: Workspace, source: SourceFile) -> int:
    """How many parse problems a file has, by its kind; the fix guard compares before and after."""
    from mcplint.discovery import compose_kind, dockerfile_kind

    name = source.path.name
    if compose_kind(name) or name.lower().endswith((".yml", ".yaml")):
        return len(compose_file_model(workspace, source).problems)
    if dockerfile_kind(name):
        model = dockerfile_model(workspace, source)
        return len(model.problems) + (0 if model.instructions else 1)
    if name.lower().endswith(".conf"):
        from mcplint.models.pgconf import parse_conf

        return len(parse_conf(source.text)[1])
    return 0


def fixable(diagnostic: Diagnostic, threshold: Applicability, reportable: frozenset[Path]) -> bool:
    fix = diagnostic.fix
    if fix is None or fix.applicability < threshold:
        return False
    # pre-commit hands us some files: a fix may only change those and the files they pull in
    # (a mounted postgresql.conf of a requested Compose file), never an unrelated file.
    return all(Workspace.key(source.path) in reportable for source in fix.sources)


def _ignore_file_problems(inputs: LoadedInputs) -> Iterator[ParseProblem]:
    """Patterns Docker refuses when it loads an ignore file: every build with that file fails."""
    seen: set[Path] = set()
    for project in inputs.projects:
        for build in project.builds:
            ignore_file = build.ignore_file
            if ignore_file is None or ignore_file.path in seen:
                continue
            seen.add(ignore_file.path)
            for pattern in parse_dockerignore(ignore_file.text):
                problem = pattern_error(pattern)
                if problem is not None:
                    message = f"{problem}: Docker refuses this ignore file, so every build that uses it fails"
                    yield ParseProblem(Span(ignore_file, pattern.start, pattern.end), message)


def fix(
    discovered: Discovered,
    resolver: ConfigResolver,
    threshold: Applicability,
    *,
    verbose: bool = False,
    load_options: LoadOptions | None = None,
) -> FixOutcome:
    workspace = Workspace()
    outcome = FixOutcome(result=lint(discovered, resolver, workspace=workspace, verbose=verbose, load_options=load_options))
    seen_states: set[tuple[tuple[Path, str], ...]] = set()
    dropped: set[tuple[str, str, str]] = set()
    for _ in range(MAX_FIX_PASSES):
        candidates = [
            d for d in outcome.result.diagnostics
            if fixable(d, threshold, outcome.result.reportable) and _fix_key(d) not in dropped
        ]  # fmt: skip
        chosen_fixes = choose_compatible(d.fix for d in candidates)
        if not chosen_fixes:
            break
        chosen_ids = {id(f) for f in chosen_fixes}
        chosen = [d for d in candidates if id(d.fix) in chosen_ids]
        new_sources, broken = _apply_checked(workspace, chosen)
        for diagnostic in broken:
            dropped.add(_fix_key(diagnostic))
            line, column = diagnostic.start_location
            outcome.internal_errors.append(
                f"internal error: the fix for {diagnostic.code} at {diagnostic.path}:{line}:{column} "
                f"would make the file unparsable; it was not applied"
            )
        if not new_sources:
            continue
        for path, source in new_sources.items():
            original = workspace.read(path)
            if path not in outcome.originals and isinstance(original, SourceFile):
                outcome.originals[path] = original
        overlay = {**workspace.overlay, **new_sources}
        state = tuple(sorted((path, source.text) for path, source in overlay.items()))
        if state in seen_states:
            break  # the fixes go round in a circle: keep the last state, stop
        seen_states.add(state)
        workspace = Workspace(overlay, parent=workspace)
        outcome.applied.extend(d for d in chosen if d not in broken)
        outcome.result = lint(discovered, resolver, workspace=workspace, verbose=verbose, load_options=load_options)
    else:
        outcome.internal_errors.append(
            f"internal error: fixes did not settle after {MAX_FIX_PASSES} passes; nothing was changed"
        )
        outcome.applied.clear()
        outcome.originals.clear()
        outcome.result = lint(discovered, resolver, workspace=Workspace(), verbose=verbose, load_options=load_options)
        return outcome
    outcome.changed = {
        path: source for path, source in workspace.overlay.items()
        if path in outcome.originals and source.text != outcome.originals[path].text
    }  # fmt: skip
    return outcome


def _fix_key(diagnostic: Diagnostic) -> tuple[str, str, str]:
    return (diagnostic.code, str(diagnostic.path), diagnostic.fix.title if diagnostic.fix else "")


def _apply_checked(
    workspace: Workspace, chosen: list[Diagnostic]
) -> tuple[dict[Path, SourceFile], list[Diagnostic]]:
    """Apply chosen fixes; leave out any fix after which a file it touches no longer parses."""
    broken: list[Diagnostic] = []
    remaining = list(chosen)
    while True:
        fixes = [d.fix for d in remaining]
        new_sources: dict[Path, SourceFile] = {}
        culprit_files: list[int] = []
        for source_id, (source, edits) in edits_by_source(fixes).items():
            new = source.with_text(apply_edits(source.text, edits))
            if problem_count(workspace, new) > problem_count(workspace, source):
                culprit_files.append(source_id)
            new_sources[Workspace.key(source.path)] = new
        if not culprit_files:
            return new_sources, broken
        # Find the fixes that break a file on their own; if none does alone, drop all that touch it.
        suspects = [d for d in remaining if any(id(s) in culprit_files for s in d.fix.sources)]
        alone_broken = [d for d in suspects if _breaks_alone(workspace, d.fix)]
        for diagnostic in alone_broken or suspects:
            broken.append(diagnostic)
            remaining.remove(diagnostic)


def _breaks_alone(workspace: Workspace, fix_: Fix) -> bool:
    for source, edits in edits_by_source([fix_]).values():
        new = source.with_text(apply_edits(source.text, edits))
        if problem_count(workspace, new) > problem_count(workspace, source):
            return True
    return False


# ------------------------------------------------------------------------------------ writing


def write_changes(changed: dict[Path, SourceFile]) -> list[str]:
    """Write each changed file atomically (temp file + rename beside the real file); return errors."""
    errors = []
    for path, source in sorted(changed.items()):
        target = Path(os.path.realpath(path))  # write through a symlink, never replace it
        try:
            _write_atomically(target, source.to_bytes())
        except OSError as exc:
            errors.append(f"{path}: cannot write fixed file: {exc.strerror or exc}")
    return errors


def _write_atomically(target: Path, data: bytes) -> None:
    mode = target.stat().st_mode & 0o7777 if target.exists() else None
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".mcplint", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise

