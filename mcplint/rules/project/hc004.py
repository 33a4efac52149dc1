"""A health check written so that it cannot work as meant: wrong form, host-side `$VAR`, bad options.

## What it does
Checks how health checks are written, in Compose files and in Dockerfiles:

- exec form with the whole command in one string, `["CMD", "curl -f http://x"]` (Compose) or
  `HEALTHCHECK CMD ["curl -f http://x"]`: Docker looks for a program named `curl -f http://x`;
- `CMD-SHELL` given several list items, `["CMD-SHELL", "curl", "-f", "http://x"]`: Docker runs
  `/bin/sh -c curl -f http://x`, where the shell runs `curl` alone and the rest become `$0`, `$1`;
- `CMD` or `CMD-SHELL` without a command, and `NONE` followed by other items (everything after it
  is ignored: the check is off);
- `$VAR` or `${VAR}` in a Compose `test` that Compose replaces when it reads the file, from the
  shell or `.env` of the machine running `docker compose`, where it is not set (so the check runs
  with an empty value), or set to something else than in the container. `$$VAR` leaves it to the
  container's shell;
- in a Dockerfile, what BuildKit refuses when it builds the HEALTHCHECK: `NONE` with arguments,
  option values it cannot read (`--interval=10`, `--retries=-1`), a repeated option, and
  `--start-interval` under a `# syntax=docker/dockerfile:1.5` (or older) pin, whose parser does not
  know it (it came with 1.6).

An unknown HEALTHCHECK type and schema errors in Compose (`test: ["FOO"]`, a duration Compose cannot
read) are reported by MC001 and DC001.

It is a project rule although it judges Compose files and Dockerfiles alike: what a Compose check
means depends on the image it runs in (whether it has a shell for `CMD-SHELL`, which variables the
container sets), and a Dockerfile is judged once however many services build it.

## Why is this bad?
Each of these leaves a container with a check that always fails (so it turns `unhealthy` and its
dependents never start), a check that is off without anyone meaning it, or a build that stops.

## Example
```yaml
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: app
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U $POSTGRES_USER"]
  web:
    image: nginx:1.27
    healthcheck:
      test: ["CMD", "curl -f http://localhost/"]
```

## Use instead
```yaml
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: app
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U $$POSTGRES_USER"]
  web:
    image: nginx:1.27
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost/"]
```

## Fix safety
Safe where the intent is exact: a one-string exec command made of plain words is split into its
words; `CMD-SHELL` items that are plain words become the exec form with those words; `NONE` loses
the items Docker ignores; `$VAR` becomes `$$VAR` in a shell check when the container's environment
sets `VAR`. Unsafe where it is a reading of the intent: a one-string command with shell syntax
(`||`, quotes, `$`) becomes `CMD-SHELL`, and `CMD-SHELL` items with shell syntax are joined into
one script; a `$VAR` set differently on the host becomes `$$VAR`. BuildKit's errors have no fix.

## References
- [Compose file reference: healthcheck](https://docs.docker.com/reference/compose-file/services/#healthcheck)
- [Compose interpolation](https://docs.docker.com/reference/compose-file/interpolation/)
- [Dockerfile reference: HEALTHCHECK](https://docs.docker.com/reference/dockerfile/#healthcheck)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from mcplint.diagnostics import Diagnostic, Edit, Fix, Severity, Span
from mcplint.models.compose import ComposeProject, CScalar, CSeq, Service
from mcplint.models.dockerfile import Dockerfile
from mcplint.models.healthprobe import exec_form_span, plain_command, service_image, yaml_sequence_edit
from mcplint.models.instructions import HealthcheckSpec, healthcheck_spec
from mcplint.project import Project
from mcplint.registry import Context, FixAvailability, Rule, Scope

RULE = Rule(
    code="HC004", name="healthcheck-malformed", scope=Scope.PROJECT, severity=Severity.ERROR,
    fix=FixAvailability.SOMETIMES, tags=("correctness", "healthcheck"),
)  # fmt: skip

# A variable Compose interpolates, without an operator: `$NAME` or `${NAME}` (`$$` is an escape).
_REFERENCE = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|\{)")
# `docker/dockerfile:1.5`, `docker.io/docker/dockerfile:1.4.3-labs`: a frontend pinned before 1.6.
_OLD_FRONTEND = re.compile(r"(?:docker\.io/)?docker/dockerfile:1\.([0-5])(?:\.\d+)?(?:-labs)?(?:@.*)?")
# BuildKit problems another rule reports (MC001 checks the type and the argument count).
_REPORTED_ELSEWHERE = ("Unknown type", "HEALTHCHECK requires at least one argument")


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    if project.compose is not None:
        for service in project.compose.services:
            yield from _compose_service(project, project.compose, service, ctx)
    seen: set[int] = set()
    for build in project.builds:
        if id(build.dockerfile) in seen:
            continue
        seen.add(id(build.dockerfile))
        for instruction in build.dockerfile.instructions:
            spec = healthcheck_spec(instruction)
            if spec is not None:
                yield from _dockerfile_healthcheck(build.dockerfile, spec, ctx)


# ---------------------------------------------------------------------------------------- Compose


def _compose_service(project: Project, compose: ComposeProject, service: Service, ctx: Context) -> Iterator[Diagnostic]:
    healthcheck = service.healthcheck
    if healthcheck is None or healthcheck.test_node is None or healthcheck.test is None:
        return
    node = healthcheck.test_node
    test = healthcheck.test
    if isinstance(node, CSeq) and len(node.items) == len(test) and all(isinstance(i, CScalar) for i in node.items):
        yield from _list_form(project, service, node, test, ctx)
    shell_form = test[0] == "CMD-SHELL"
    scalars = [node] if isinstance(node, CScalar) else list(node.items[1:]) if isinstance(node, CSeq) else []
    for scalar_node in scalars:
        if isinstance(scalar_node, CScalar) and isinstance(scalar_node.value, str):
            yield from _host_variables(compose, service, scalar_node, shell_form, ctx)


def _list_form(project: Project, service: Service, node: CSeq, test: tuple[str, ...], ctx: Context) -> Iterator[Diagnostic]:
    items = [item for item in node.items if isinstance(item, CScalar)]
    kind = test[0]
    if kind in ("CMD", "CMD-SHELL") and len(test) == 1:
        yield ctx.report(node.span, f"`{kind}` is not followed by a command: the check can never pass")
        return
    if kind == "NONE" and len(test) > 1:
        edit = yaml_sequence_edit(node, ["NONE"])
        fix = Fix.safe("Remove the items after `NONE`, which Docker ignores", edit) if edit else None
        yield ctx.report(items[1].span, "`NONE` switches the health check off: the items after it are ignored", fix=fix)
        return
    if kind == "CMD" and len(test) == 2 and re.search(r"\s", test[1].strip()):
        yield _one_string(project, service, node, items[1], ctx)
    if kind == "CMD-SHELL" and len(test) > 2:
        yield _several_shell_items(node, items, ctx)


def _one_string(project: Project, service: Service, node: CSeq, item: CScalar, ctx: Context) -> Diagnostic:
    raw = str(item.raw)
    plain = plain_command(raw)
    fix = None
    if plain is not None:
        edit = yaml_sequence_edit(node, ["CMD", *plain.argv])
        fix = Fix.safe("Split the command into its words", edit) if edit else None
    else:
        image = service_image(project, service)
        if image is None or image.shell_available() is not False:
            edit = yaml_sequence_edit(node, ["CMD-SHELL", raw])
            fix = Fix.unsafe("Run the command with the shell (`CMD-SHELL`)", edit) if edit else None
    first = raw.split()[0]
    return ctx.report(
        item.span,
        f"The exec form takes one word per item: Docker looks for a program named `{raw.strip()}`, not `{first}`",
        fix=fix,
    )


def _several_shell_items(node: CSeq, items: list[CScalar], ctx: Context) -> Diagnostic:
    raws = [str(item.raw) for item in items[1:]]
    plain = [plain_command(raw) for raw in raws]
    if all(command is not None and command.argv == (raw,) for command, raw in zip(plain, raws, strict=True)):
        edit = yaml_sequence_edit(node, ["CMD", *raws])
        fix = Fix.safe("Use the exec form, one word per item", edit) if edit else None
    else:
        edit = yaml_sequence_edit(node, ["CMD-SHELL", " ".join(raws)])
        fix = Fix.unsafe("Join the items into one shell command", edit) if edit else None
    return ctx.report(
        items[2].span,
        f"`CMD-SHELL` takes one string: Docker runs `/bin/sh -c` with `{raws[0]}` as the script, and the other items as its `$0`, `$1`…",
        fix=fix,
    )


@dataclass(frozen=True, slots=True)
class _Reference:
    name: str
    start: int  # offset of the `$` in the text searched
    end: int


def _references(text: str) -> list[_Reference]:
    found = []
    for match in _REFERENCE.finditer(text):
        name = match.group(1) or match.group(2)
        if name is not None:
            found.append(_Reference(name, match.start(), match.end()))
    return found


def _host_variables(compose: ComposeProject, service: Service, node: CScalar, shell_form: bool, ctx: Context) -> Iterator[Diagnostic]:
    written = _references(node.span.text)
    as_read = _references(str(node.raw))
    if not as_read or [r.name for r in written] != [r.name for r in as_read]:
        return  # the text as written and as read differ (escapes): positions cannot be mapped
    container = service.environment
    for reference in written:
        name = reference.name
        host = compose.environment.get(name)
        inside = container.get(name)
        if host is not None and (inside is None or inside.value in (None, host)):
            continue  # the host's value is the container's, or the container has none
        span = Span(node.span.source, node.span.start + reference.start, node.span.start + reference.end)
        dollar = Edit.insert(span.source, span.start, "$")
        escaped = "$" + span.text
        if host is None:
            message = (
                f"`{span.text}` is replaced by Compose when it reads the file, and `{name}` is not set there: "
                f"the check runs with an empty value; `{escaped}` leaves it to the container"
            )
            fix = Fix.safe(f"Write `{escaped}`", dollar) if shell_form and inside is not None else None
        else:
            message = (
                f"`{span.text}` is replaced by Compose with the value `{name}` has where Compose runs, "
                f"not the container's; `{escaped}` leaves it to the container"
            )
            fix = Fix.unsafe(f"Write `{escaped}`", dollar) if shell_form else None
        if not shell_form:
            message += " (in a `CMD-SHELL` check: the exec form has no shell to expand it)"
        yield ctx.report(span, message, fix=fix)


# ------------------------------------------------------------------------------------- Dockerfile


def _dockerfile_healthcheck(dockerfile: Dockerfile, spec: HealthcheckSpec, ctx: Context) -> Iterator[Diagnostic]:
    source = dockerfile.source
    target = spec.instruction
    whole = Span(source, target.keyword_word.start, target.end)
    for problem in spec.problems:
        if not problem.startswith(_REPORTED_ELSEWHERE):
            yield ctx.report(whole, f"BuildKit refuses this HEALTHCHECK: {problem}")
    for option in spec.options:
        if option.error is not None and option.flag is not None:
            yield ctx.report(Span(source, option.flag.start, option.flag.end), f"BuildKit refuses this HEALTHCHECK: {option.error}")
    start_interval = spec.start_interval.flag
    syntax = dockerfile.directive("syntax")
    if start_interval is not None and syntax is not None:
        pinned = _OLD_FRONTEND.fullmatch(syntax.value.strip())
        if pinned is not None:
            yield ctx.report(
                Span(source, start_interval.start, start_interval.end),
                f"`--start-interval` is unknown to the Dockerfile frontend `{syntax.value}` (it came with 1.6): the build fails",
            )
    if spec.exec_form and isinstance(spec.command, tuple) and len(spec.command) == 1:
        command = spec.command[0]
        if re.search(r"\s", command.strip()):
            yield _dockerfile_one_string(dockerfile, spec, command, ctx)


def _dockerfile_one_string(dockerfile: Dockerfile, spec: HealthcheckSpec, command: str, ctx: Context) -> Diagnostic:
    source = dockerfile.source
    word = spec.command_words[0]
    written = exec_form_span(dockerfile, spec)
    fix = None
    if written is not None:
        plain = plain_command(command)
        if plain is not None:
            fix = Fix.safe("Split the command into its words", Edit(source, *written, json.dumps(list(plain.argv))))
        elif "\n" not in command:
            fix = Fix.unsafe("Use the shell form", Edit(source, *written, command.strip()))
    return ctx.report(
        Span(source, word.start, word.end),
        f"The exec form takes one word per item: Docker looks for a program named `{command.strip()}`",
        fix=fix,
    )
