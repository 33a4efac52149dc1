"""Health check timings that defeat the check: timeout ≥ interval, `retries: 0`, sub-second interval,
no start period for a slow starter.

## What it does
Checks the timing options of health checks in Compose files and Dockerfiles, with the values Docker
really uses: an option left out (or 0) takes the image's HEALTHCHECK value, else Docker's default
(interval 30s, timeout 30s, start period 0s, start interval 5s, retries 3).

- `timeout` longer than `interval` (or equal, when both are written): Docker waits for a probe to
  end before it schedules the next, so a hung probe stretches every interval by the timeout, and
  an unhealthy container is noticed only after `retries × (interval + timeout)`;
- `retries: 0` (`--retries=0`): zero means "the default", 3, not "no retries";
- an `interval` under one second: the probe, a process started in the container, runs more than
  once a second;
- no `start_period` for a server that is slow to start the first time (PostgreSQL and MySQL/MariaDB
  initialise their data directory, Elasticsearch, Kafka and JVM services take tens of seconds):
  failures during start-up count towards `retries`, so the container can be declared unhealthy
  before it was ever up. `start_interval` only applies within a start period.

It is a project rule although it judges Compose files and Dockerfiles alike: a Compose check takes
every option it leaves out from the HEALTHCHECK of the image it runs, which only the Dockerfile (or
the knowledge base of official images) tells.

## Why is this bad?
Each of these makes the health status lie: a check that reports too late, one that flaps under load,
or a database marked unhealthy during its first initialisation, which stops `depends_on:
condition: service_healthy` services from starting.

## Example
```yaml
services:
  db:
    image: postgres:16
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "postgres"]
      interval: 5s
      retries: 0
```

## Use instead
```yaml
services:
  db:
    image: postgres:16
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "postgres"]
      interval: 5s
      timeout: 3s
      retries: 3
      start_period: 30s
```

## Fix safety
`retries: 0` becomes the count Docker uses in its place (the image's HEALTHCHECK value, else 3):
safe, nothing changes but the text. A missing start period is added with the configured value:
unsafe, since it delays the moment a failing first start is reported. A timeout or an interval has no
fix: the right values depend on the service.

## Options
- `start-period` (string, default `"30s"`): the start period the fix adds, as a Docker duration.

## References
- [Dockerfile reference: HEALTHCHECK](https://docs.docker.com/reference/dockerfile/#healthcheck)
- [moby `daemon/health.go`](https://github.com/moby/moby/blob/master/daemon/health.go): probes run one after another; zero values take the defaults
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mcplint.diagnostics import Diagnostic, Edit, Fix, Severity, Span
from mcplint.models.compose import Healthcheck, Located, Service
from mcplint.models.dockerfile import Dockerfile
from mcplint.models.healthprobe import (
    SLOW_STARTING_IMAGES,
    ImageView,
    effective_command,
    program_name,
    service_image,
)
from mcplint.models.images import parse_image_ref
from mcplint.models.instructions import (
    HEALTHCHECK_DEFAULTS,
    HealthcheckSpec,
    HealthOption,
    healthcheck_spec,
)
from mcplint.models.units import UnitError, parse_compose_duration, parse_duration
from mcplint.project import Project
from mcplint.registry import Context, FixAvailability, Rule, Scope
from mcplint.yamledit import insert_path


@dataclass(frozen=True, slots=True)
class Options:
    start_period: str = "30s"

    def __post_init__(self) -> None:
        try:
            seconds = parse_duration(self.start_period)
        except UnitError as exc:
            raise ValueError(f"`start-period` is not a duration Docker accepts: {exc}") from None
        if seconds <= 0:
            raise ValueError("`start-period` must be longer than zero")


RULE = Rule(
    code="HC005", name="healthcheck-timing", scope=Scope.PROJECT, severity=Severity.WARNING,
    fix=FixAvailability.SOMETIMES, options=Options, tags=("reliability", "healthcheck"),
)  # fmt: skip

_MINIMUM_INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class _Timing:
    """One option's value as Docker uses it, and where it was written (None: not written here)."""

    name: str
    value: float | int | None  # None: not known (inherited from an image mcplint does not know)
    written: Span | None
    origin: str  # "written", "image" or "default"

    def shown(self) -> str:
        text = _format(self.name, self.value)
        return text if self.origin == "written" else f"{text}, {'the image’s' if self.origin == 'image' else 'the default'}"


def check(project: Project, ctx: Context) -> Iterator[Diagnostic]:
    options: Options = ctx.options
    if project.compose is not None:
        for service in project.compose.services:
            healthcheck = service.healthcheck
            if healthcheck is None or healthcheck.disabled:
                continue
            image = service_image(project, service)
            yield from _compose(service, healthcheck, image, options, ctx)
    seen: set[int] = set()
    for build in project.builds:
        stage = build.final_stage
        final = ImageView.of_stage(build.dockerfile, stage, build.args) if stage is not None else None
        if id(build.dockerfile) in seen:
            continue
        seen.add(id(build.dockerfile))
        for instruction in build.dockerfile.instructions:
            spec = healthcheck_spec(instruction)
            if spec is None or spec.none or spec.problems:
                continue
            in_final_image = final is not None and final.health.spec is not None and final.health.spec.instruction is spec.instruction
            yield from _dockerfile(build.dockerfile, spec, final if in_final_image else None, options, ctx)


# ---------------------------------------------------------------------------------------- Compose


def _compose(service: Service, healthcheck: Healthcheck, image: ImageView | None, options: Options, ctx: Context) -> Iterator[Diagnostic]:
    # Options left out take the image's HEALTHCHECK values (the engine merges the two configurations).
    health = image.health if image is not None else None
    inherited = health.spec if health is not None and health.state == "set" else None
    image_known = inherited is not None or (health is not None and health.state in ("absent", "none"))
    timings = {}
    for name in ("interval", "timeout", "start_period", "start_interval", "retries"):
        located: Located | None = getattr(healthcheck, name)
        timings[name] = _compose_timing(name, located, inherited, image_known)
        if timings[name] is None:
            return  # a value Compose cannot read: DC001 reports it
    yield from _common(timings, ctx, _compose_retries_fix(healthcheck, timings["retries"]))
    if healthcheck.test is None and inherited is None:
        return  # no test here and none known in the image: nothing runs that a start period would cover
    slow = _slow_starter(image, effective_command(service, image) if image is not None else None)
    start_period = timings["start_period"]
    if slow is not None and start_period.value == 0:
        key = service.config.get("healthcheck")
        span = service.config.key_span("healthcheck") or service.key
        fix = None
        defining = service.defining
        if defining is not None and key is not None:
            source, mapping = defining
            parent_key = service.key.start if service.key.source is source else None
            edit = insert_path(source, mapping, ("healthcheck", "start_period"), options.start_period, parent_key_start=parent_key)
            fix = Fix.unsafe(f"Add `start_period: {options.start_period}`", edit) if edit is not None else None
        yield ctx.report(span, _slow_message(slow), fix=fix)


def _compose_timing(name: str, located: Located | None, inherited: HealthcheckSpec | None, image_known: bool) -> _Timing | None:
    if located is not None and located.value is not None:
        try:
            value = int(located.value) if name == "retries" else parse_compose_duration(str(located.value))
        except (UnitError, ValueError):
            return None
        if value:
            return _Timing(name, value, located.span, "written")
    written = located.span if located is not None and located.value is not None else None
    if inherited is not None:
        option: HealthOption = getattr(inherited, name)
        if option.value:
            return _Timing(name, option.value, written, "image")
        return _Timing(name, option.default, written, "default")
    if image_known:
        return _Timing(name, HEALTHCHECK_DEFAULTS[name], written, "default")
    return _Timing(name, None, written, "default")


def _compose_retries_fix(healthcheck: Healthcheck, retries: _Timing) -> Fix | None:
    located = healthcheck.retries
    if located is None or retries.value is None:
        return None
    return Fix.safe(f"Write the {retries.value} retries Docker uses", Edit.replace(located.span, str(retries.value)))


# ------------------------------------------------------------------------------------- Dockerfile


def _dockerfile(dockerfile: Dockerfile, spec: HealthcheckSpec, final: ImageView | None, options: Options, ctx: Context) -> Iterator[Diagnostic]:
    source = dockerfile.source
    timings = {}
    for option in spec.options:
        name = option.name.replace("-", "_")
        span = Span(source, option.flag.start, option.flag.end) if option.flag is not None else None
        timings[name] = _Timing(name, option.effective, span, "written" if option.value else "default")
    retries = spec.retries
    fix = None
    if retries.flag is not None and retries.flag.value is not None:
        # HEALTHCHECK replaces the image's whole health configuration: zero retries are Docker's 3.
        value_start = retries.flag.end - len(retries.flag.value)
        fix = Fix.safe(f"Write the {retries.default} retries Docker uses", Edit(source, value_start, retries.flag.end, str(retries.default)))
    yield from _common(timings, ctx, fix)
    if final is None:
        return
    entrypoint, command, _ = final.image_command()
    slow = _slow_starter(final, tuple(entrypoint or ()) + tuple(command or ()))
    if slow is not None and not spec.start_period.value and spec.type_word is not None:
        edit = Edit.insert(source, spec.type_word.start, f"--start-period={options.start_period} ")
        fix = Fix.unsafe(f"Add `--start-period={options.start_period}`", edit)
        yield ctx.report(Span(source, spec.instruction.keyword_word.start, spec.instruction.keyword_word.end), _slow_message(slow), fix=fix)


# ----------------------------------------------------------------------------------------- shared


def _common(timings: dict[str, _Timing], ctx: Context, retries_fix: Fix | None) -> Iterator[Diagnostic]:
    interval, timeout, retries = timings["interval"], timings["timeout"], timings["retries"]
    if retries.written is not None and retries.origin != "written":
        yield ctx.report(
            retries.written,
            f"`retries` 0 does not mean \"no retries\": Docker uses {retries.shown()} instead",
            fix=retries_fix,
        )
    if interval.origin == "written" and interval.value is not None and interval.value < _MINIMUM_INTERVAL:
        yield ctx.report(
            interval.written,
            f"The health check runs every {interval.shown()}: a new process in the container more than once a second",
        )
    if interval.value is None or timeout.value is None or (interval.origin != "written" and timeout.origin != "written"):
        return
    longer = timeout.value > interval.value
    equal_and_written = timeout.value == interval.value and interval.origin == timeout.origin == "written"
    if longer or equal_and_written:
        span = timeout.written if timeout.origin == "written" else interval.written
        comparison = "longer than" if longer else "as long as"
        yield ctx.report(
            span,
            f"The timeout ({timeout.shown()}) is {comparison} the interval ({interval.shown()}): "
            "a hung probe delays the next one, and failures are noticed late",
        )


def _slow_starter(image: ImageView | None, argv: tuple[str, ...] | None) -> str | None:
    """What makes the container slow to start (its image, or a JVM as its command), or None."""
    if image is not None and image.reference:
        ref = parse_image_ref(image.reference)
        if ref is not None and ref.short_name in SLOW_STARTING_IMAGES:
            return f"{SLOW_STARTING_IMAGES[ref.short_name]} ({image.reference})"
    for word in argv or ():
        if program_name(word) == "java":
            return "a JVM (its command runs `java`)"
    return None


def _slow_message(slow: str) -> str:
    return (
        f"No start period for {slow}, which is slow to start: failures during its first start count "
        "towards `retries`, and it can be declared unhealthy before it was ever up"
    )


def _format(name: str, value: float | None) -> str:
    if value is None:
        return "unknown"
    if name == "retries":
        return str(value)
    seconds = float(value)
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"
