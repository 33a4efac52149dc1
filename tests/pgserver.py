"""A throwaway PostgreSQL cluster for tests that use the real server as the oracle.

`PgServer` initdb's a data directory in a fresh temporary directory and then answers questions the way
the server itself would:

- `show(name, args, config_file)` runs `postgres -C name ... -D datadir`: the server reads its
  configuration (command line, then `config_file` or the data directory's `postgresql.conf`, with
  includes) and prints the parameter's final value in base units, or fails with the same FATAL/LOG
  messages it would print at start-up. No server process stays up, so thousands of checks are cheap
  and can run concurrently (`show_many`).
- `start(conf_text, args)` writes `postgresql.conf` and starts a real server with `pg_ctl -w` on a
  Unix socket inside the temporary directory (no TCP listener), for checks that need a running
  server (`psql`); `stop()` shuts it down.

A server refuses to run as root, so when the tests run as root every command runs as the `postgres`
user (`runuser -u postgres --`) and the temporary directory is chowned to it; otherwise commands run
directly as the current user. Everything has a timeout, and `close()` (or leaving the `with` block)
always stops the server and removes the directory.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"
COMMAND_TIMEOUT = 60.0  # initdb and pg_ctl; generous because CI machines can be slow
SHOW_TIMEOUT = 20.0

# Where distributions put the server binaries; PG_BINDIR overrides (e.g. a source build).
_BINDIR_PATTERNS = ("/usr/lib/postgresql/{major}/bin", "/usr/pgsql-{major}/bin")

# GUC_RUNTIME_COMPUTED parameters: `postgres -C` for these takes the data directory's lock file, so two
# such questions must not run at the same time.
RUNTIME_COMPUTED = frozenset({"shared_memory_size", "shared_memory_size_in_huge_pages", "data_checksums",
                              "data_directory_mode", "wal_segment_size"})

# A server log line: optional prefix (timestamp, pid), then severity and message.
_LOG_LINE = re.compile(
    r"^(?:.*? \[\d+\] )?"
    r"(?P<severity>DEBUG\d?|LOG|INFO|NOTICE|WARNING|ERROR|FATAL|PANIC|DETAIL|HINT|CONTEXT):\s+(?P<text>.*)$"
)


def find_bindir(major: int = 15) -> Path | None:
    """The directory holding `postgres`, `initdb` and `pg_ctl` of this major version, if installed."""
    override = os.environ.get("PG_BINDIR")
    candidates = [override] if override else [p.format(major=major) for p in _BINDIR_PATTERNS]
    for candidate in candidates:
        bindir = Path(candidate)
        if all((bindir / tool).is_file() for tool in ("postgres", "initdb", "pg_ctl")):
            return bindir
    return None


def unavailable_reason(major: int = 15) -> str | None:
    """Why a server cannot be run here (for pytest.skip), or None when it can."""
    if find_bindir(major) is None:
        return (
            f"PostgreSQL {major} server binaries not found (looked in "
            + ", ".join(p.format(major=major) for p in _BINDIR_PATTERNS)
            + "; set PG_BINDIR or run `make system-deps`)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root and `runuser` is not available to drop privileges"
    return None


@dataclass(frozen=True, slots=True)
class ServerMessage:
    severity: str  # LOG, FATAL, HINT, ...
    text: str


@dataclass(frozen=True, slots=True)
class ShowResult:
    """What `postgres -C` said: the value on success, the server's messages either way."""

    ok: bool
    value: str | None
    messages: tuple[ServerMessage, ...]
    output: str  # everything the process printed on stderr, for assertion messages

    def first(self, *severities: str) -> str | None:
        """The text of the first message with one of these severities."""
        return next((m.text for m in self.messages if m.severity in severities), None)

    @property
    def error(self) -> str | None:
        """The message that made the server give up (FATAL or ERROR), or a bare startup complaint."""
        found = self.first("FATAL", "ERROR")
        if found is None and not self.ok:
            plain = [line for line in self.output.splitlines() if line.strip()]
            return plain[0] if plain else None
        return found


def parse_messages(text: str) -> tuple[ServerMessage, ...]:
    found = []
    for line in text.splitlines():
        match = _LOG_LINE.match(line)
        if match:
            found.append(ServerMessage(match["severity"], match["text"]))
    return tuple(found)


class PgServer:
    """One temporary cluster. Use as a context manager; safe to use from several threads for `show`."""

    def __init__(self, bindir: Path | None = None, major: int = 15) -> None:
        found = bindir or find_bindir(major)
        if found is None:
            raise RuntimeError(unavailable_reason(major) or "PostgreSQL binaries not found")
        self.bindir = found
        self._as_server_user = os.geteuid() == 0
        # mkdtemp gives 0700; the server user must own it (it checks the data dir's owner and mode).
        self.workdir = Path(tempfile.mkdtemp(prefix="mcplint-pg-"))
        self._chown(self.workdir)
        self.datadir = self.workdir / "data"
        self.socket_dir = self.workdir
        self.port = 5432  # only names the socket file: the server listens on no TCP address
        self.running = False
        self._lock_file_guard = threading.Lock()
        try:
            self._initdb()
        except BaseException:
            self.close()
            raise
        self._initial_conf = (self.datadir / "postgresql.conf").read_text(encoding="utf-8")

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> PgServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            if self.running:
                self.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _initdb(self) -> None:
        result = self._run(
            [str(self.bindir / "initdb"), "-D", str(self.datadir), "-A", "trust", "-U", "postgres",
             "--no-sync", "-E", "UTF8", "--locale=C"],
            timeout=COMMAND_TIMEOUT,
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    # -- files -----------------------------------------------------------------------------------

    def write_file(self, relative: str | Path, text: str) -> Path:
        """Write a file below the work directory (creating folders), readable by the server."""
        path = self.workdir / relative
        created = []
        for parent in reversed(path.parents):
            if not parent.exists():
                parent.mkdir()
                created.append(parent)
        path.write_text(text, encoding="utf-8")
        for item in (*created, path):
            self._chown(item)
        return path

    def _chown(self, path: Path) -> None:
        if self._as_server_user:
            shutil.chown(path, user=SERVER_USER)

    # -- asking the server -----------------------------------------------------------------------

    def show(self, name: str, args: Sequence[str] = (), config_file: Path | None = None) -> ShowResult:
        """`postgres -D datadir -C name [-c config_file=...] [args]`: the value the server would use.

        The server must not be running (runtime-computed parameters such as shared_memory_size need
        the data directory to themselves)."""
        # Our own options go first so that `args` can end with a dangling option, as a user's might.
        command = [str(self.bindir / "postgres"), "-D", str(self.datadir), "-C", name]
        if config_file is not None:
            command += ["-c", f"config_file={config_file}"]
        command += args
        if name.lower() in RUNTIME_COMPUTED:
            with self._lock_file_guard:
                result = self._run(command, timeout=SHOW_TIMEOUT)
        else:
            result = self._run(command, timeout=SHOW_TIMEOUT)
        ok = result.returncode == 0
        value = result.stdout.rstrip("\n") if ok else None
        return ShowResult(ok, value, parse_messages(result.stderr), result.stderr)

    def show_many(self, requests: Sequence[tuple[str, Sequence[str]]]) -> list[ShowResult]:
        """`show(name, args)` for each request, concurrently; results in request order."""
        workers = max(2, (os.cpu_count() or 2) * 2)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda request: self.show(request[0], request[1]), requests))

    def describe_config(self) -> str:
        result = self._run([str(self.bindir / "postgres"), "--describe-config"], timeout=SHOW_TIMEOUT)
        if result.returncode != 0:
            raise RuntimeError(f"postgres --describe-config failed: {result.stderr}")
        return result.stdout

    def version(self) -> str:
        result = self._run([str(self.bindir / "postgres"), "--version"], timeout=SHOW_TIMEOUT)
        return result.stdout.strip()

    # -- a running server ------------------------------------------------------------------------

    def start(self, conf_text: str | None = None, args: Sequence[str] = ()) -> tuple[bool, str]:
        """Start the server (optionally with a new postgresql.conf); returns (started, server log)."""
        if self.running:
            self.stop()
        if conf_text is not None:
            self.write_file("data/postgresql.conf", conf_text)
        log = self.workdir / "server.log"
        log.unlink(missing_ok=True)
        self.write_file("server.log", "")
        # pg_ctl passes -o through a shell, so every argument is quoted for sh.
        options = ["-k", str(self.socket_dir), "-p", str(self.port), "-c", "listen_addresses=", *args]
        result = self._run(
            [str(self.bindir / "pg_ctl"), "start", "-w", "-t", str(int(COMMAND_TIMEOUT)),
             "-D", str(self.datadir), "-l", str(log), "-o", " ".join(_sh_quote(o) for o in options)],
            timeout=COMMAND_TIMEOUT + 10,
        )
        self.running = result.returncode == 0
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        return self.running, text + result.stderr

    def restore_conf(self) -> None:
        """Put back the postgresql.conf initdb wrote (after `start` replaced it)."""
        self.write_file("data/postgresql.conf", self._initial_conf)

    def stop(self) -> None:
        self._run(
            [str(self.bindir / "pg_ctl"), "stop", "-w", "-m", "fast", "-t", str(int(COMMAND_TIMEOUT)),
             "-D", str(self.datadir)],
            timeout=COMMAND_TIMEOUT + 10,
        )
        self.running = False

    def psql(self, sql: str) -> str:
        """Run SQL on the running server; unaligned, tuples only. Raises on any SQL error."""
        psql = self.bindir / "psql"
        result = self._run(
            [str(psql) if psql.exists() else "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres", "-d", "postgres",
             "-c", sql],
            timeout=COMMAND_TIMEOUT,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr}")
        return result.stdout

    # -- plumbing --------------------------------------------------------------------------------

    def _run(self, command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        if self._as_server_user:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        return subprocess.run(
            command,
            cwd=self.workdir,
            env=_server_environment(),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )


def _server_environment() -> dict[str, str]:
    # PG* variables of the caller (PGDATA, PGOPTIONS, PGHOST, ...) would change what the tools do.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update(LC_ALL="C", LANG="C")
    return env


def _sh_quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"
