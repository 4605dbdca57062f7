"""A throwaway PostgreSQL cluster for tests and benches: Debian's server binaries, a unix socket, no TCP.

The server refuses to run as root, so as root the cluster belongs to the `postgres` user (its
directory is chowned to it); as anyone else it runs as that user. Nothing depends on a system
service: `initdb` makes the cluster, `pg_ctl` starts and stops it, and its folder is deleted after.
"""

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg


def server_bin() -> Path:
    """The newest installed server's bin folder (Debian keeps it off PATH), or $STORE_EDGE_PG_BIN."""
    if os.environ.get("STORE_EDGE_PG_BIN"):
        return Path(os.environ["STORE_EDGE_PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError("no PostgreSQL server found: apt-get install postgresql (bash deploy/dev.sh test does)")


class Cluster:
    """initdb + pg_ctl in a temp folder; `database()` makes a fresh database and returns its DSN."""

    def __init__(self, *, durable: bool = False, settings: dict[str, str] | None = None) -> None:
        self.bin = server_bin()
        self.root = Path(tempfile.mkdtemp(prefix="store-edge-pg-"))
        self.data = self.root / "data"
        self.user = "store_edge"
        self.as_root = os.geteuid() == 0
        # tests do not need crash safety; the bench keeps the server's defaults (fsync on)
        self.settings = {} if durable else {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        self.settings.update(settings or {})
        self._made = 0

    def _run(self, *args: str) -> None:
        cmd = [str(a) for a in args]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> "Cluster":
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(self.bin / "initdb", "-D", self.data, "-A", "trust", "-U", self.user, "-E", "UTF8",
                  "--no-locale", "--no-sync")
        opts = " ".join([f"-k {self.root}", "-c listen_addresses=''", "-p 5432",
                         *(f"-c {k}={v}" for k, v in self.settings.items())])
        self._run(self.bin / "pg_ctl", "-D", self.data, "-o", opts, "-l", self.root / "server.log", "-w", "start")
        return self

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@/{dbname}?host={self.root}&port=5432"

    def database(self, prefix: str = "t") -> str:
        """A new, empty database on this cluster; its DSN."""
        self._made += 1
        name = f"{prefix}_{os.getpid()}_{self._made}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        try:
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
