"""Which programs a stage's final image contains: base image facts, then every RUN and COPY in order.

`stage_programs` starts from the knowledge base (`mcplint.models.images`) for the external image at
the root of the stage's FROM chain (an earlier stage named by `FROM <stage>` hands over its own
result, ONBUILD triggers included), then replays the stage:

- package operations (`mcplint.models.packages`): installs add the programs the package table maps;
  `apk del <virtual>` removes what only that group brought (a program the base had, such as a
  busybox applet, comes back); `apt-get purge --auto-remove` after `apt-mark auto '.*'` removes
  every package the Dockerfile installed except those marked manual again, and `apt-mark manual
  $savedAptMark` restores what was manual when `apt-mark showmanual` ran (the base's packages);
- a program run where its failure would fail the RUN was present at that point;
- files written, linked or copied under a PATH directory (`COPY --from=busybox:1.36 /bin/busybox
  /bin/busybox`, `curl -o /usr/local/bin/x`) add that program by name;
- installers that cannot be read (`make install`, archive extraction, `curl | sh`) make every
  program named in the RUN (or by a package family it belongs to) uncertain where it was absent;
- conditional arms (if/case/`||`) are joined: what differs between "ran" and "did not run" is
  uncertain.

Never a guess: an unknown base image, or a step whose effect is unbounded (an unreadable RUN, an
install whose package list is unknown, a directory copied over a PATH directory from an unknown
source), sets `unknown` and leaves `absent` only with what was explicitly removed.

Packages the knowledge base does not list add nothing, but their names are reported
(`unmapped_packages`) and a package of the same family as a known one (`postgresql-17` next to
`postgresql-client`) makes that family's programs uncertain rather than absent: dependencies are
not followed.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cache

from mcplint.models.dockerfile import Dockerfile, Instruction, Stage
from mcplint.models.images import (
    ImageFacts,
    image_facts,
    package_families,
    package_family,
    package_known,
    package_table,
    parse_image_ref,
    programs_from_packages,
    tracked_programs,
)
from mcplint.models.instructions import copy_spec, flag_bool, workdir
from mcplint.models.packages import (
    PATH_DIRECTORIES,
    Event,
    OpaqueStep,
    PackageOp,
    PathChange,
    ProgramUse,
    analyze_run,
)

PRESENT, ABSENT, UNCERTAIN = "present", "absent", "uncertain"
_UNLISTED = "unlisted"  # a `before` value: the name had no status (an untracked program nobody mentioned)
# Directories whose copy can bring PATH directories along (COPY rootfs/ /, COPY --from=x /usr/local /usr/local).
_PATH_PREFIXES = frozenset({"/", "/usr", "/usr/local"})
_ARCHIVE = re.compile(r"\.(?:tar|tgz|tbz2?|txz|tar\.(?:gz|bz2|xz|zst|lz|lzma|Z))$")
_GENERIC_STEMS = frozenset({"default", "lib"})


@dataclass(frozen=True, slots=True)
class ProgramSet:
    """Programs in a stage's final image, three-valued.

    `present`: known to be there (tracked programs, and any other program name this Dockerfile
    installs, runs or places). `absent`: known missing (tracked programs only). `uncertain`:
    tracked programs whose presence depends on something this analysis cannot settle. `unknown`:
    the base image is not in the knowledge base, or a step could have added any program.
    """

    present: frozenset[str]
    absent: frozenset[str]
    uncertain: frozenset[str]
    unknown: bool
    base: ImageFacts | None
    unmapped_packages: tuple[str, ...]
    program_evidence: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def why(self, program: str) -> tuple[str, ...]:
        """The evidence lines that decided `program`, oldest first."""
        for name, lines in self.program_evidence:
            if name == program:
                return lines
        return ()


def program_available(programs: ProgramSet, name: str) -> bool | None:
    """True or False where the analysis settles it; None when it cannot tell."""
    if name in programs.present:
        return True
    if name in programs.absent:
        return False
    return None


def stage_programs(
    dockerfile: Dockerfile, stage: Stage, build_args: Mapping[str, str] | None = None
) -> ProgramSet:
    """The programs of `stage`'s final image (see the module docstring for how they are found)."""
    memo: dict[int, _State] = {}
    state = _stage_state(dockerfile, stage, build_args or {}, memo)
    return state.result()


# ------------------------------------------------------------------------------------- the state


@dataclass(slots=True)
class _Record:
    """A package this Dockerfile installed."""

    family: str
    name: str
    programs: frozenset[str]  # from the package table
    claims: frozenset[str]  # an unmapped package's own name, taken as a program it may ship
    manual: bool | None  # apt's manual mark (None: cannot tell)
    uncertain: bool  # installed on some paths only

    @property
    def provides(self) -> frozenset[str]:
        return self.programs | self.claims


@dataclass(slots=True)
class _State:
    base: ImageFacts | None
    status: dict[str, str]
    before: dict[str, str] = field(default_factory=dict)  # status before the first package provided it
    records: dict[tuple[str, str], _Record] = field(default_factory=dict)
    world: dict[str, bool] = field(default_factory=dict)  # apk world entries added here: certain?
    virtuals: dict[str, frozenset[str]] = field(default_factory=dict)
    base_auto: str = "no"  # apt: base packages marked auto? no / yes / maybe
    saves: dict[int, tuple[frozenset[tuple[str, str]], bool]] = field(default_factory=dict)
    unknown: bool = False
    unmapped: list[str] = field(default_factory=list)
    program_evidence: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def start(cls, facts: ImageFacts | None, label: str) -> _State:
        status = {}
        for program in tracked_programs():
            has = facts.has(program) if facts else None
            status[program] = PRESENT if has else ABSENT if has is False else UNCERTAIN
        state = cls(facts, status, unknown=facts is None)
        if facts is not None:
            for program, value in status.items():
                word = {PRESENT: "has", ABSENT: "no", UNCERTAIN: "unsettled:"}[value]
                state.program_evidence.setdefault(program, []).append(
                    f"{label} (knowledge base {facts.image}): {word} {program}"
                )
        return state

    def copy(self) -> _State:
        return _State(
            self.base, dict(self.status), dict(self.before),
            {key: _Record(r.family, r.name, r.programs, r.claims, r.manual, r.uncertain) for key, r in self.records.items()},
            dict(self.world), dict(self.virtuals), self.base_auto, dict(self.saves), self.unknown,
            list(self.unmapped), {k: list(v) for k, v in self.program_evidence.items()},
        )  # fmt: skip

    def get(self, program: str) -> str:
        return self.status.get(program, UNCERTAIN)

    def set(self, program: str, value: str, reason: str) -> None:
        if self.status.get(program, _UNLISTED) == value:
            return
        if value == _UNLISTED:
            self.status.pop(program, None)
        else:
            self.status[program] = value
        self.program_evidence.setdefault(program, []).append(reason)

    def providers(self, program: str, excluding: tuple[str, str] | None = None) -> list[_Record]:
        return [r for key, r in self.records.items() if program in r.provides and key != excluding]

    def effective_before(self, program: str) -> str:
        return self.before.get(program, self.get(program)) if self.providers(program) else self.get(program)

    def result(self) -> ProgramSet:
        tracked = tracked_programs()
        present = frozenset(p for p, s in self.status.items() if s == PRESENT)
        absent = frozenset(p for p, s in self.status.items() if s == ABSENT and p in tracked)
        uncertain = frozenset(p for p, s in self.status.items() if s == UNCERTAIN and p in tracked)
        return ProgramSet(
            present=present,
            absent=absent,
            uncertain=uncertain,
            unknown=self.unknown,
            base=self.base,
            unmapped_packages=tuple(dict.fromkeys(self.unmapped)),
            program_evidence=tuple((p, tuple(lines)) for p, lines in sorted(self.program_evidence.items())),
        )


def _join(taken: _State, skipped: _State) -> _State:
    """The state after a conditional arm that may (`taken`) or may not (`skipped`) have run."""
    joined = skipped.copy()
    for program in set(taken.status) | set(skipped.status):
        a, b = taken.get(program), skipped.get(program)
        if a != b:
            joined.status[program] = UNCERTAIN
            joined.program_evidence.setdefault(program, []).extend(
                line for line in taken.program_evidence.get(program, []) if line not in joined.program_evidence[program]
            )
            joined.program_evidence[program].append(f"{program} depends on a conditional branch")
        if taken.providers(program) or skipped.providers(program):
            before_a, before_b = taken.effective_before(program), skipped.effective_before(program)
            joined.before[program] = before_a if before_a == before_b else UNCERTAIN
        else:
            joined.before.pop(program, None)
    for key, record in taken.records.items():
        mine = joined.records.get(key)
        if mine is None:
            joined.records[key] = _Record(record.family, record.name, record.programs, record.claims, record.manual, True)
        else:
            mine.manual = mine.manual if mine.manual == record.manual else None
            mine.uncertain = mine.uncertain or record.uncertain
    for key in set(skipped.records) - set(taken.records):
        joined.records[key].uncertain = True
    for name in set(taken.world) | set(skipped.world):
        joined.world[name] = taken.world.get(name, False) and skipped.world.get(name, False)
    for name, members in taken.virtuals.items():
        joined.virtuals[name] = joined.virtuals.get(name, frozenset()) | members
    if taken.base_auto != skipped.base_auto:
        joined.base_auto = "maybe"
    joined.saves.update(taken.saves)
    joined.unknown = taken.unknown or skipped.unknown
    joined.unmapped.extend(name for name in taken.unmapped if name not in joined.unmapped)
    return joined


# -------------------------------------------------------------------------------- stage walking


def _stage_state(
    dockerfile: Dockerfile, stage: Stage, build_args: Mapping[str, str], memo: dict[int, _State]
) -> _State:
    if stage.index in memo:
        return memo[stage.index].copy()
    parent = dockerfile.parent_stage(stage, build_args)
    if parent is not None:
        state = _stage_state(dockerfile, parent, build_args, memo)
        for trigger in (ins.trigger for ins in parent.instructions if ins.keyword == "ONBUILD" and ins.trigger):
            state = _apply_instruction(dockerfile, stage, trigger, build_args, state, memo)
    else:
        ref = dockerfile.expand(stage.from_instruction, stage.base.value, build_args) or None
        parsed = parse_image_ref(ref) if ref else None
        facts = image_facts(parsed) if parsed else None
        state = _State.start(facts, ref or stage.base.value)
    for instruction in stage.instructions:
        state = _apply_instruction(dockerfile, stage, instruction, build_args, state, memo)
    memo[stage.index] = state
    return state.copy()


def _apply_instruction(
    dockerfile: Dockerfile,
    stage: Stage,
    instruction: Instruction,
    build_args: Mapping[str, str],
    state: _State,
    memo: dict[int, _State],
) -> _State:
    if instruction.keyword == "RUN":
        analysis = analyze_run(dockerfile, instruction, build_args)
        if not analysis.analysable:
            _unbounded(state, f"RUN at line {instruction.start_line} cannot be analysed ({analysis.problem})")
            return state
        context = _RunContext(dockerfile, analysis.text, instruction.start_line)
        return _apply_events(list(analysis.events), state, 0, context)
    if instruction.keyword in ("COPY", "ADD"):
        _apply_copy(dockerfile, stage, instruction, build_args, state, memo)
    return state


@dataclass(frozen=True, slots=True)
class _RunContext:
    dockerfile: Dockerfile
    text: str
    line: int

    def line_of(self, offset: int) -> int:
        return self.dockerfile.source.line_of(offset)


def _apply_events(events: list[Event], state: _State, depth: int, context: _RunContext) -> _State:
    """Apply events in order; a run of events inside one conditional arm is applied to a copy,
    which is then joined with the state in which the arm did not run."""
    index = 0
    while index < len(events):
        event = events[index]
        if len(event.conditions) <= depth:
            _apply_event(event, state, context)
            index += 1
            continue
        arm = event.conditions[depth]
        end = index
        while end < len(events) and len(events[end].conditions) > depth and events[end].conditions[depth] == arm:
            end += 1
        taken = _apply_events(events[index:end], state.copy(), depth + 1, context)
        state = _join(taken, state)
        index = end
    return state


def _apply_event(event: Event, state: _State, context: _RunContext) -> None:
    line = context.line_of(event.start)
    if isinstance(event, PackageOp):
        _apply_package_op(event, state, line)
    elif isinstance(event, ProgramUse):
        if event.fatal and state.get(event.program) != PRESENT:
            state.set(event.program, PRESENT, f"RUN at line {line} runs {event.program}: the build needs it there")
    elif isinstance(event, PathChange):
        _apply_path_change(event, state, line)
    elif isinstance(event, OpaqueStep):
        mentioned = sorted(p for p in _mentioned_programs(context.text) if state.get(p) == ABSENT)
        reason = f"RUN at line {line}: {event.description}, which may install {', '.join(mentioned)}"
        for program in mentioned:
            state.set(program, UNCERTAIN, reason)


# ------------------------------------------------------------------------------------- packages


def _apply_package_op(op: PackageOp, state: _State, line: int) -> None:
    family = package_family(op.manager) or op.manager
    what = " ".join(op.packages) or (op.virtual or "")
    verb = op.verb or op.action.replace("_", " ")
    label = f"RUN {op.manager} {verb} {what}".rstrip() + f" at line {line}"
    if op.unresolved and not op.libraries_only and op.action == "install":
        _unbounded(state, f"{label}: installs packages that are not known ({' '.join(w.value for w in op.unresolved)})")
    if op.action == "install":
        _install(op, family, state, label)
    elif op.action == "remove":
        _remove_named(op, family, state, label)
        if op.unresolved:
            for program in [p for p, s in state.status.items() if s == PRESENT]:
                state.set(program, UNCERTAIN, f"{label}: removes packages that are not known")
    elif op.action == "mark_auto_all":
        for record in state.records.values():
            if record.family == "apt":
                record.manual = False
        state.base_auto = "yes"
    elif op.action == "mark_auto":
        for name in op.packages:
            if ("apt", name) in state.records:
                state.records[("apt", name)].manual = False
        if op.unresolved:
            for record in state.records.values():
                if record.family == "apt" and record.manual:
                    record.manual = None
            state.base_auto = "maybe" if state.base_auto == "no" else state.base_auto
    elif op.action == "mark_manual":
        for name in op.packages:
            if ("apt", name) in state.records:
                state.records[("apt", name)].manual = True
        if op.unresolved and not op.libraries_only:
            for record in state.records.values():
                if record.family == "apt" and not record.manual:
                    record.manual = None
            state.base_auto = "maybe" if state.base_auto == "yes" else state.base_auto
    elif op.action == "save_manual" and op.saves is not None:
        manual = frozenset(key for key, r in state.records.items() if r.family == "apt" and r.manual)
        state.saves[op.saves] = (manual, state.base_auto == "no")
    elif op.action == "restore_manual":
        saved = state.saves.get(op.restores or -1)
        if saved is None:
            for record in state.records.values():
                if record.family == "apt" and not record.manual:
                    record.manual = None
            state.base_auto = "maybe"
        else:
            keys, base_manual = saved
            for key in keys:
                if key in state.records:
                    state.records[key].manual = True
            if base_manual:
                state.base_auto = "no"
    elif op.action == "purge_auto":
        _purge_auto(state, label)


def _install(op: PackageOp, family: str, state: _State, label: str) -> None:
    for name in op.packages:
        programs = _package_programs(op.manager, name)
        key = (family, name)
        claims: frozenset[str] = frozenset()
        if not _mapped(op.manager, name):
            # Many packages ship a program of their own name (make, gcc, git): not enough to call
            # it present, but enough to let removing the package take back what a use proved.
            claims = frozenset({name})
            state.unmapped.append(name)
            related = sorted(p for p in _related_programs(family, name) if state.get(p) == ABSENT)
            for program in related:
                state.set(program, UNCERTAIN, f"{label}: {name} is not in the package table and may bring {program}")
        record = state.records.get(key)
        if record is None:
            state.records[key] = _Record(family, name, programs, claims, True, False)
            for program in programs | claims:
                if not state.providers(program, excluding=key):
                    state.before[program] = state.status.get(program, _UNLISTED)
        else:
            record.manual = True
        if family == "apk" and op.virtual is None:
            state.world[name] = True
        added = sorted(programs)
        for program in added:
            state.set(program, PRESENT, f"{label}: adds {program}")
    if family == "apk" and op.virtual:
        state.virtuals[op.virtual] = state.virtuals.get(op.virtual, frozenset()) | frozenset(op.packages)
        state.world[op.virtual] = True


def _remove_named(op: PackageOp, family: str, state: _State, label: str) -> None:
    for name in op.packages:
        if family == "apk" and name in state.virtuals:
            _apk_delete_virtual(name, state, label)
            continue
        if family == "apk" and any(name in members for members in state.virtuals.values()):
            # apk keeps a package another world entry still depends on ("not removed due to").
            state.world.pop(name, None)
            continue
        state.world.pop(name, None)
        record = state.records.get((family, name))
        programs = record.provides if record else _package_programs(op.manager, name)
        _drop(state, (family, name), programs, explicit=True, label=label)


def _apk_delete_virtual(virtual: str, state: _State, label: str) -> None:
    certain = state.world.pop(virtual, False)
    members = state.virtuals.pop(virtual)
    still_needed = frozenset().union(*state.virtuals.values()) if state.virtuals else frozenset()
    for member in sorted(members):
        record = state.records.get(("apk", member))
        if record is None:
            continue
        if member in still_needed or state.world.get(member):
            continue
        if member in state.world or not certain:
            # Kept on some paths only: its programs cannot be settled.
            for program in record.provides:
                if state.get(program) == PRESENT and len(state.providers(program)) == 1:
                    state.set(program, UNCERTAIN, f"{label}: {member} may or may not be removed")
            continue
        _drop(state, ("apk", member), record.provides, explicit=False, label=label)


def _purge_auto(state: _State, label: str) -> None:
    for key, record in list(state.records.items()):
        if record.family != "apt":
            continue
        if record.manual is False:
            _drop(state, key, record.provides, explicit=False, label=label)
        elif record.manual is None:
            for program in record.provides:
                if state.get(program) == PRESENT:
                    state.set(program, UNCERTAIN, f"{label}: may remove {record.name}")
    if state.base_auto != "no" and state.base is not None:
        for program, value in list(state.status.items()):
            if value == PRESENT and not state.providers(program) and state.base.has(program):
                state.set(program, UNCERTAIN, f"{label}: may remove the base image's {program}")


def _drop(state: _State, key: tuple[str, str], programs: frozenset[str], explicit: bool, label: str) -> None:
    """Remove a package: each program it alone provided goes back to what it was before it
    (dependency removal), or goes away (explicit removal), except a busybox applet, whose link
    Alpine's busybox trigger puts back."""
    record = state.records.pop(key, None)
    claimed = record.claims if record is not None else frozenset()
    for program in sorted(programs):
        if state.providers(program):
            continue
        previous = state.before.pop(program, state.status.get(program, _UNLISTED))
        if explicit:
            applet = state.base is not None and program in state.base.busybox_applets and key[0] == "apk"
            value = PRESENT if applet else _UNLISTED if program in claimed else ABSENT
        else:
            value = previous
        if record is not None and record.uncertain and value != state.status.get(program, _UNLISTED):
            value = UNCERTAIN
        if value == state.status.get(program, _UNLISTED):
            continue
        state.set(program, value, f"{label}: removes {key[1]}, so {program} is {value}")


def _unbounded(state: _State, reason: str) -> None:
    state.unknown = True
    for program, value in list(state.status.items()):
        if value == ABSENT:
            state.set(program, UNCERTAIN, reason)


def _package_programs(manager: str, name: str) -> frozenset[str]:
    if name.startswith("cmd:"):
        return frozenset({name[4:]})
    if name.startswith("/"):
        directory, base = posixpath.split(name)
        return frozenset({base}) if directory in PATH_DIRECTORIES else frozenset()
    return programs_from_packages(manager, [name])


def _mapped(manager: str, name: str) -> bool:
    if name.startswith(("cmd:", "/", "so:")):
        return True
    return package_known(manager, name)


def _related_programs(family: str, name: str) -> frozenset[str]:
    """Programs of the known packages in the same family as `name` (postgresql-17 and
    postgresql-client share `postgresql`): an unmapped package may depend on them."""
    stem = _stem(name.lower())
    if stem is None:
        return frozenset()
    table = package_table(family)
    related: set[str] = set()
    for key, programs in table.items():
        key_stem = _stem(key)
        if key_stem and (fnmatchcase(stem, key_stem) or stem == key_stem):
            related |= programs
    return frozenset(related)


def _stem(name: str) -> str | None:
    parts = [part for part in name.split("-") if part]
    while parts and parts[0] in _GENERIC_STEMS:
        parts = parts[1:]
    if not parts or len(parts[0]) < 3:
        return None
    return parts[0]


@cache
def _mention_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """For each tracked program, a pattern for its name or a package family that provides it."""
    names: dict[str, set[str]] = {program: {re.escape(program)} for program in tracked_programs()}
    for table in (package_table(family) for family in sorted(package_families())):
        for key, programs in table.items():
            stem = _stem(key)
            if stem is None:
                continue
            for program in programs:
                names.setdefault(program, set()).add(re.escape(stem).replace(r"\*", r"[\w.]*"))
    return tuple(
        (program, re.compile(r"(?<![A-Za-z0-9_])(?:" + "|".join(sorted(words)) + r")(?![A-Za-z0-9_])"))
        for program, words in sorted(names.items())
    )


def _mentioned_programs(text: str) -> frozenset[str]:
    return frozenset(program for program, pattern in _mention_patterns() if pattern.search(text))


# ---------------------------------------------------------------------------------- files by name


def _apply_path_change(change: PathChange, state: _State, line: int) -> None:
    if not change.path.startswith("/"):
        return
    path = posixpath.normpath(change.path)
    directory, name = posixpath.split(path)
    if directory not in PATH_DIRECTORIES or not name:
        return
    if change.kind == "remove":
        targets = [p for p in state.status if fnmatchcase(p, name)] if re.search(r"[*?\[]", name) else [name]
        for program in targets:
            if state.get(program) == PRESENT:
                # Another copy may live in another PATH directory.
                state.set(program, UNCERTAIN, f"RUN at line {line} removes {directory}/{program}")
        return
    if change.kind == "link" and change.target is not None:
        target = posixpath.basename(change.target.rstrip("/"))
        value = PRESENT if state.get(target) == PRESENT else UNCERTAIN
        if state.get(name) != PRESENT:
            state.set(name, value, f"RUN at line {line} links {path} to {change.target}")
        return
    _place(state, name, f"RUN at line {line} writes {path}")


def _place(state: _State, name: str, reason: str) -> None:
    if state.providers(name):
        state.before[name] = PRESENT  # a copy that no package removal takes away
    state.set(name, PRESENT, reason)


def _apply_copy(
    dockerfile: Dockerfile,
    stage: Stage,
    instruction: Instruction,
    build_args: Mapping[str, str],
    state: _State,
    memo: dict[int, _State],
) -> None:
    spec = copy_spec(instruction)
    if spec is None or spec.destination is None:
        return
    keyword = spec.instruction.keyword
    label = f"{keyword} at line {instruction.start_line}"
    destination = dockerfile.expand(instruction, spec.destination.value, build_args)
    if destination is None:
        return
    if not destination.startswith("/"):
        base = workdir(dockerfile, stage, instruction, build_args) if instruction in stage.instructions else None
        if base is None:
            return
        destination = posixpath.join(base, destination)
    into_directory = destination.endswith("/") or len(spec.sources) > 1
    target = posixpath.normpath(destination)
    into_directory = into_directory or target in PATH_DIRECTORIES or target in _PATH_PREFIXES
    for source in spec.sources:
        value = dockerfile.expand(instruction, source.word.value, build_args) if source.kind != "heredoc" else None
        if source.kind == "heredoc":
            name = source.heredoc.name if source.heredoc else ""
        elif source.kind == "url":
            name = posixpath.basename((value or "").split("?")[0].split("#")[0])
        else:
            name = posixpath.basename((value or "").rstrip("/")) if value is not None else ""
        file_like = (
            value is not None or source.kind == "heredoc"
        ) and name not in ("", ".", "..") and not re.search(r"[*?\[]", name) and not (value or "").endswith("/")
        archive = keyword == "ADD" and source.kind == "context" and bool(_ARCHIVE.search(name)) and flag_bool(spec.unpack)[0] is not False
        if source.kind == "git" or archive:
            file_like = False
        if into_directory:
            if target in PATH_DIRECTORIES and file_like:
                _place(state, name, f"{label} copies {name} into {target}")
            elif target in PATH_DIRECTORIES or target in _PATH_PREFIXES:
                _copied_tree(dockerfile, stage, spec.from_value, source.kind, value, instruction, build_args, state, memo, label)
            continue
        directory, file_name = posixpath.split(target)
        if directory in PATH_DIRECTORIES:
            _place(state, file_name, f"{label} copies {value or name} to {target}")


def _copied_tree(
    dockerfile: Dockerfile,
    stage: Stage,
    from_value: str | None,
    kind: str,
    source: str | None,
    instruction: Instruction,
    build_args: Mapping[str, str],
    state: _State,
    memo: dict[int, _State],
    label: str,
) -> None:
    """A directory (or glob, archive, repository) copied over PATH: it may bring any program its
    source has; only a stage or a known image bounds that set."""
    candidates: frozenset[str] | None = None
    if kind == "stage_or_image" and from_value is not None:
        name = dockerfile.expand(instruction, from_value, build_args)
        source_stage = _stage_by_reference(dockerfile, stage, name) if name else None
        if source_stage is not None:
            other = _stage_state(dockerfile, source_stage, build_args, memo)
            if not other.unknown:
                candidates = frozenset(p for p, s in other.status.items() if s != ABSENT)
        elif name:
            ref = parse_image_ref(name)
            facts = image_facts(ref) if ref else None
            if facts is not None:
                candidates = facts.programs | facts.unknown_programs
    if candidates is None:
        _unbounded(state, f"{label} copies {source or 'files'} over a PATH directory from a source with unknown programs")
        return
    for program in sorted(candidates):
        if state.get(program) == ABSENT:
            state.set(program, UNCERTAIN, f"{label} copies {source} over a PATH directory, which may bring {program}")


def _stage_by_reference(dockerfile: Dockerfile, stage: Stage, name: str) -> Stage | None:
    """What `COPY --from=<name>` means: an earlier stage by name or index, else an image (a stage
    that comes later fails the build)."""
    named = dockerfile.stage_named(name)
    return named if named is not None and named.index < stage.index else None
