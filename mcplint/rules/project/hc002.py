"""A health check that runs a program the image does not have, so it can never pass.

## What it does
Reads the health check a container runs (its Compose `healthcheck.test`, or the HEALTHCHECK of the
final stage of the Dockerfile it is built from) as the shell would, and checks every program it
needs against what the image contains: the knowledge base of official images for an `image:`, and
for a built image its base image plus every package the Dockerfile installs or removes
(`apk add curl`, `apt-get install wget`, `apk del .build-deps`, `apt-get purge --auto-remove`).

It reports a check that cannot succeed:
- `curl` on `node:18-alpine` (which has busybox `wget`, not curl), `wget` on `python:3.12-slim`;
- `pg_isready`, `redis-cli`, `mysqladmin` outside the images that ship them (`mysqladmin` is gone
  from `mariadb:11`);
- any program on `scratch` or distroless images, and a `CMD-SHELL` check (a string `test:`, or the
  shell form of HEALTHCHECK) on an image that has no shell.

A program that is one of several alternatives (`curl … || wget …`) is reported only when none of
them exists. Nothing is said when the image is not in the knowledge base or a step of the Dockerfile
cannot be read: the program may be there.

## Why is this bad?
The program fails with "not found" (status 127) at every probe, so the container turns `unhealthy`
for good: services that wait for it with `condition: service_healthy` never start, and an
orchestrator may restart a container that works. The mistake survives review because the same line
works on the developer's machine or on a Debian-based image.

## Example
```dockerfile
FROM node:18-alpine
EXPOSE 3000
HEALTHCHECK CMD curl -f http://localhost:3000/health || exit 1
CMD ["node", "server.js"]
```

## Use instead
```dockerfile
FROM node:18-alpine
EXPOSE 3000
HEALTHCHECK CMD wget -q --spider http://localhost:3000/health || exit 1
CMD ["node", "server.js"]
```

## Fix safety
The fix rewrites the probe for a program the image has, keeping URL, port, headers and timeout:
`curl` becomes busybox `wget -q --spider` (a GET that fails on an error status, as `curl -f` does),
`wget` becomes `curl -fsS`, and where neither exists a `node -e` or `python3 -c` one-liner makes the
request; `mysqladmin` becomes `mariadb-admin`, `mongo` becomes `mongosh`. A check written for a shell
on an image without one becomes the exec form when it is a plain command. It is unsafe: the new
program may differ in details (redirects, TLS verification, status codes). There is no fix when the
request uses options that have no equivalent, or nothing in the image can make it.

## References
- [Dockerfile reference: HEALTHCHECK](https://docs.docker.com/reference/dockerfile/#healthcheck)
- [BusyBox wget](https://www.busybox.net/downloads/BusyBox.html#wget)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from mcplint.diagnostics import Diagnostic, Edit, Fix, Severity, Span
from mcplint.models.compose import CScalar, CSeq, Service
from mcplint.models.dockerfile import Dockerfile
from mcplint.models.healthprobe import (
    HealthCommand,
    ImageView,
    ProgramCall,
    SimpleCommand,
    can_pass,
    exec_form_span,
    http_request,
    plain_command,
    program_of,
    raw_command,
    read_shell,
    render_http_probe,
    service_image,
    shell_words_argv,
    yaml_scalar_like,
    yaml_sequence_edit,
)
from mcplint.models.instructions import HealthcheckSpec
from mcplint.project import Project
from mcplint.registry import Context, FixAvailability, Rule, Scope

RULE = Rule(
    code="HC002", name="healthcheck-tool-missing", scope=Scope.PROJECT, severity=Severity.ERROR,
    fix=FixAvailability.SOMETIMES, tags=("reliability", "healthcheck"),
)  # fmt: skip

# Programs renamed by newer images: the new name takes the same arguments.
_RENAMED = {"mysqladmin": "mariadb-admin", "mysql": "mariadb", "mongo": "mongosh", "mongosh": "mongo"}


@dataclass(frozen=True, slots=True)
class _Problem:
    message: str
    detail: str
    missing: tuple[ProgramCall, ...]  # empty: the shell is what is missing


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    if project.compose is not None:
        for service in project.compose.services:
            healthcheck = service.healthcheck
            if not service.enabled or healthcheck is None or healthcheck.disabled or healthcheck.test is None:
                continue
            image = service_image(project, service)
            command = HealthCommand.from_test(healthcheck.test)
            if image is None or command is None:
                continue
            problem = _judge(command, image)
            if problem is not None:
                fix = _compose_fix(service, command, problem, image)
                span = healthcheck.test_node.span if healthcheck.test_node is not None else service.key
                yield ctx.report(span, problem.message, fix=fix, detail=problem.detail)
    for build in project.builds:
        stage = build.final_stage
        if stage is None:
            continue
        image = ImageView.of_stage(build.dockerfile, stage, build.args)
        spec = image.health.spec
        if spec is None or spec.none or not spec.command_words:
            continue
        command = HealthCommand.from_test(spec.test)
        problem = _judge(command, image) if command is not None else None
        if problem is not None:
            words = spec.command_words
            span = Span(build.dockerfile.source, words[0].start, words[-1].end)
            yield ctx.report(span, problem.message, fix=_dockerfile_fix(build.dockerfile, spec, problem, image), detail=problem.detail)


def _judge(command: HealthCommand, image: ImageView) -> _Problem | None:
    if command.shell and image.shell_available() is False:
        shell = image.shell[0] if image.shell else "/bin/sh"
        return _Problem(
            f"The health check is a shell command (CMD-SHELL), but {image.label} has no shell: it can never pass",
            f"Docker runs it as `{shell} -c …`; the image has no {shell}",
            (),
        )
    script = command.script
    if script is None:
        return None
    verdict = can_pass(script, image.has)
    if verdict.can_pass or not verdict.missing:
        return None
    names = list(dict.fromkeys(str(call.name) for call in verdict.missing))
    listed = ", ".join(f"`{name}`" for name in names)
    lines = [line for name in names for line in image.why(name)[-3:]]
    return _Problem(
        f"The health check runs {listed}, which {image.label} does not have: it can never pass",
        "\n".join(lines),
        verdict.missing,
    )


def _replacement(call: ProgramCall, image: ImageView) -> tuple[int, int, str] | None:
    """(start, end, text) that replaces `call` within its command's text, for a program the image has."""
    assert call.word is not None
    renamed = _RENAMED.get(str(call.name))
    if renamed is not None and image.has(renamed) is True:
        return call.word.start, call.word.end, renamed
    request = http_request(call)
    if request is None:
        return None
    words = render_http_probe(request, image, avoid=str(call.name))
    if words is None:
        return None
    return call.word.start, call.command.words[-1].end, " ".join(words)


def _rewrite_script(text: str, targets: list[SimpleCommand], image: ImageView) -> str | None:
    """`text` with each target command's missing program replaced; None when one cannot be."""
    pieces = []
    for command in targets:
        call = program_of(command)
        if call is None or call.word is None:
            return None
        replacement = _replacement(call, image)
        if replacement is None:
            return None
        pieces.append(replacement)
    for start, end, new in sorted(pieces, reverse=True):
        text = text[:start] + new + text[end:]
    return text if read_shell(text) is not None else None


def _exec_argv(argv: tuple[str, ...], image: ImageView) -> tuple[tuple[str, ...], str] | None:
    """An exec argv whose program is missing, rewritten for a program the image has, and that program."""
    command = HealthCommand(False, argv, "").script
    if command is None:
        return None
    simple = next(iter(command.commands))
    call = program_of(simple)
    if call is None or call.word is None:
        return None
    wrappers = argv[: len(argv) - len(call.argv)]  # `timeout 5`, `env X=1`: kept around the new program
    renamed = _RENAMED.get(str(call.name))
    if renamed is not None and image.has(renamed) is True:
        return (*wrappers, renamed, *call.argv[1:]), renamed
    request = http_request(call)
    words = render_http_probe(request, image, avoid=str(call.name)) if request is not None else None
    return ((*wrappers, *shell_words_argv(words)), words[0]) if words is not None else None


def _plain_exec(text: str, image: ImageView) -> tuple[str, ...] | None:
    """A shell check that is one plain command, as an exec argv the image can run without a shell."""
    command = plain_command(text)
    if command is None:
        return None
    call = program_of(command)
    if call is None or (call.name is not None and image.has(call.name) is False):
        return None  # a builtin needs the shell; a missing program stays missing
    return command.argv


def _compose_fix(service: Service, command: HealthCommand, problem: _Problem, image: ImageView) -> Fix | None:
    node = service.healthcheck.test_node if service.healthcheck is not None else None
    if isinstance(node, CSeq) and not command.shell:
        raw_items = [item.raw for item in node.items if isinstance(item, CScalar)]
        if len(raw_items) != len(node.items):
            return None
        rewritten = _exec_argv(tuple(raw_items[1:]), image)
        if rewritten is None:
            return None
        new_argv, program = rewritten
        edit = yaml_sequence_edit(node, ["CMD", *new_argv])
        return Fix.unsafe(f"Probe with `{program}`", edit) if edit else None
    script_node = node if isinstance(node, CScalar) else node.items[1] if isinstance(node, CSeq) and len(node.items) > 1 else None
    if not isinstance(script_node, CScalar):
        return None
    raw_text = script_node.raw
    raw_script = read_shell(raw_text)
    if not problem.missing:
        argv = _plain_exec(raw_text, image)
        if argv is None:
            return None
        if isinstance(node, CSeq):
            edit = yaml_sequence_edit(node, ["CMD", *argv])
        else:
            rendered = json.dumps(["CMD", *argv], ensure_ascii=False)
            edit = Edit.replace(script_node.span, rendered) if not script_node.span.text.startswith(("|", ">")) else None
        return Fix.unsafe("Run the check without a shell (exec form)", edit) if edit is not None else None
    value_script = command.script
    if raw_script is None or value_script is None:
        return None
    targets = [raw_command(raw_script, value_script, call.command) for call in problem.missing]
    if any(target is None for target in targets):
        return None
    new_text = _rewrite_script(raw_text, [t for t in targets if t is not None], image)
    if new_text is None:
        return None
    rendered = yaml_scalar_like(script_node.span.text, new_text)
    if rendered is None:
        return None
    return Fix.unsafe(f"Probe with `{new_text}`", Edit.replace(script_node.span, rendered))


def _dockerfile_fix(dockerfile: Dockerfile, spec: HealthcheckSpec, problem: _Problem, image: ImageView) -> Fix | None:
    words = spec.command_words
    source = dockerfile.source
    if spec.exec_form:
        written = exec_form_span(dockerfile, spec)
        if written is None or not isinstance(spec.command, tuple):
            return None
        rewritten = _exec_argv(spec.command, image)
        if rewritten is None:
            return None
        argv, program = rewritten
        return Fix.unsafe(f"Probe with `{program}`", Edit(source, *written, json.dumps(list(argv), ensure_ascii=False)))
    text = source.text[words[0].start : words[-1].end]
    if text != spec.command:
        return None  # written over several lines: not rewritten
    script = read_shell(text)
    if not problem.missing:
        argv = _plain_exec(text, image)
        if argv is None:
            return None
        edit = Edit(source, words[0].start, words[-1].end, json.dumps(list(argv), ensure_ascii=False))
        return Fix.unsafe("Run the check without a shell (exec form)", edit)
    if script is None:
        return None
    targets = [call.command for call in problem.missing if call.command in list(script.commands)]
    if len(targets) != len(problem.missing):
        return None
    new_text = _rewrite_script(text, targets, image)
    if new_text is None:
        return None
    return Fix.unsafe(f"Probe with `{new_text}`", Edit(source, words[0].start, words[-1].end, new_text))
