"""`make fuzz`: lint mutated copies of real projects and check that mcplint never breaks.

Each trial copies the directory of one corpus Dockerfile or Compose file to a temporary directory,
damages that file (drops, duplicates, swaps or re-indents lines, replaces a byte with a character
that means something to YAML or a shell, truncates it), then runs `mcplint check` and
`mcplint check --fix --unsafe-fixes` on the copy. A trial fails when a run crashes, reports an
internal error or exits with anything but 0 or 1, or when `--fix` leaves more parse errors (MC001)
than the damaged files had. A failing trial's directory is kept and named, so it can be replayed.

Not a test: it runs for minutes and its inputs are random. `FUZZ_TRIALS` and `FUZZ_SEED` choose
how many and which (`make fuzz FUZZ_TRIALS=500 FUZZ_SEED=7`); the same seed gives the same trials.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mcplint.discovery import compose_kind, dockerfile_kind

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
MCPLINT = [sys.executable, "-m", "mcplint"]
# Characters that change what a line means: YAML indicators, shell and interpolation syntax, a tab,
# a NUL and a byte that is not UTF-8.
SIGNIFICANT = b"${}[]:'\"\\-#&*!|>\t\x00\xff="


def lintable(root: Path) -> list[Path]:
    """The files mcplint's discovery lints: damaging any other file would test nothing."""
    return sorted(
        path for path in root.rglob("*")
        if path.is_file() and (dockerfile_kind(path.name) or compose_kind(path.name))
    )  # fmt: skip


def damage(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 4)):
        if not lines:
            lines = [b""]
        index = rng.randrange(len(lines))
        operation = rng.choice(("drop", "duplicate", "swap", "indent", "replace", "truncate"))
        if operation == "drop":
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, lines[index])
        elif operation == "swap":
            other = rng.randrange(len(lines))
            lines[index], lines[other] = lines[other], lines[index]
        elif operation == "indent":
            lines[index] = b"  " + lines[index]
        elif operation == "replace" and lines[index]:
            line = bytearray(lines[index])
            line[rng.randrange(len(line))] = rng.choice(SIGNIFICANT)
            lines[index] = bytes(line)
        elif operation == "truncate":
            lines = lines[:index]
    return b"\n".join(lines)


def run(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MCPLINT, *arguments], capture_output=True, text=True, timeout=300, cwd=ROOT)


def parse_errors(directory: Path) -> int:
    completed = run(["check", "--select", "MC001", "--exit-zero", "--output-format", "json", str(directory)])
    return len(json.loads(completed.stdout or "[]"))


def broken(completed: subprocess.CompletedProcess[str]) -> str | None:
    output = completed.stdout + completed.stderr
    if completed.returncode not in (0, 1):
        return f"exit status {completed.returncode}"
    if "internal error" in output or "Traceback" in output:
        return "internal error"
    return None


def trial(source: Path, work: Path, rng: random.Random) -> str | None:
    shutil.copytree(source.parent, work, symlinks=True, ignore=shutil.ignore_patterns(".git", "node_modules"))
    target = work / source.name
    target.write_bytes(damage(target.read_bytes(), rng))
    problem = broken(run(["check", "--output-format", "concise", str(work)]))
    if problem:
        return f"check: {problem}"
    before = parse_errors(work)
    fixing = run(["check", "--fix", "--unsafe-fixes", "--output-format", "concise", str(work)])
    problem = broken(fixing)
    if problem:
        return f"check --fix --unsafe-fixes: {problem}\n{(fixing.stderr or fixing.stdout)[-2000:]}"
    after = parse_errors(work)
    if after > before:
        return f"--fix left {after} parse errors where the damaged files had {before}"
    return None


def main() -> int:
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent (its README says how to get it)")
        return 0
    trials = int(os.environ.get("FUZZ_TRIALS", "100"))
    seed = int(os.environ.get("FUZZ_SEED", "1"))
    rng = random.Random(seed)
    files = lintable(CORPUS)
    keep = Path(tempfile.mkdtemp(prefix="mcplint-fuzz-"))
    failures = 0
    for number in range(trials):
        source = rng.choice(files)
        work = keep / f"trial-{number}"
        problem = trial(source, work, rng)
        if problem:
            failures += 1
            print(f"FAIL trial {number} ({source.relative_to(CORPUS)}), kept in {work}: {problem}")
        else:
            shutil.rmtree(work)
    print(f"{trials} trials (seed {seed}), {failures} failing")
    if not failures:
        shutil.rmtree(keep)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
