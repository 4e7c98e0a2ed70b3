"""The batch journal: one SQLite database in the output folder recording every video's status,
attempts, error, content hash, settings fingerprint and timings, so a rerun skips what is done
and unchanged; and the lock that keeps a second run (cron overlap) off the same folder."""

import fcntl
import glob
import json
import os
import re
import socket
import sqlite3
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import VidcapError

STATE_DIR = ".vidcap"  # inside OUTDIR: journal, lock and log
STATUSES = ("done", "failed", "running", "kept")  # a video's, as the journal records it

SCHEMA = """
CREATE TABLE IF NOT EXISTS videos (
    output TEXT PRIMARY KEY,       -- path relative to OUTDIR
    source TEXT NOT NULL,          -- absolute input path
    status TEXT NOT NULL,          -- running, done, failed or kept (a file the batch did not write has its name)
    attempts INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    permanent INTEGER NOT NULL DEFAULT 0,  -- 1: the input itself is bad; redone only once it changes
    size INTEGER, mtime_ns INTEGER, sha256 TEXT,
    fingerprint TEXT,              -- model + settings that made the output
    started REAL, finished REAL, seconds REAL,
    duration REAL, shots INTEGER, cues INTEGER, worker TEXT
)"""


def as_text(value: str | None) -> str | None:
    """File names are bytes on Linux; one that is not UTF-8 (Python keeps the odd bytes as lone
    surrogates) is stored with those bytes as escapes, the same way every time."""
    return value if value is None else value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class Busy(VidcapError):
    """Another run holds the output folder."""


def state_dir(outdir: str) -> str:
    return os.path.join(outdir, STATE_DIR)


def _suffix(shard: tuple[int, int] | None) -> str:
    return f"-shard-{shard[0]}-of-{shard[1]}" if shard else ""


@contextmanager
def batch_lock(outdir: str, shard: tuple[int, int] | None = None):
    """An exclusive flock on OUTDIR/.vidcap/lock (one per shard). The kernel drops it when the
    process dies, even by kill -9, so a crashed run never leaves a stale lock."""
    os.makedirs(state_dir(outdir), exist_ok=True)
    path = os.path.join(state_dir(outdir), f"lock{_suffix(shard)}")
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise Busy(f"{outdir}: another vidcap batch is already running here ({holder}); "
                       f"this run does nothing") from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        f.flush()
        try:
            yield
        finally:
            f.truncate(0)


def lock_holders(outdir: str) -> list[str]:
    """Who holds the locks of OUTDIR now (a lock file left by a killed run is not held)."""
    holders = []
    for path in sorted(glob.glob(os.path.join(state_dir(outdir), "lock*"))):
        with open(path) as f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
                fcntl.flock(f, fcntl.LOCK_UN)
            except BlockingIOError:
                holders.append(f.read().strip() or "another process")
    return holders


@dataclass
class Entry:
    output: str
    source: str
    status: str
    attempts: int
    failures: int
    error: str | None
    permanent: bool
    size: int | None
    mtime_ns: int | None
    sha256: str | None
    fingerprint: str | None
    started: float | None
    finished: float | None
    seconds: float | None
    duration: float | None
    shots: int | None
    cues: int | None
    worker: str | None


def journal_path(outdir: str, shard: tuple[int, int] | None = None) -> str:
    return os.path.join(state_dir(outdir), f"journal{_suffix(shard)}.sqlite")


# Filesystems whose files other machines open too. SQLite's WAL keeps its index in shared memory,
# which only processes of one machine share: SQLite documents WAL as not working on a network
# filesystem (https://www.sqlite.org/wal.html). There the rollback journal, with POSIX locks, is used.
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "lustre", "gpfs", "beegfs", "ceph", "glusterfs",
                       "9p", "afs", "ocfs2", "gfs2", "orangefs", "pvfs2", "fuse.glusterfs", "fuse.sshfs",
                       "fuse.cephfs", "fuse.beegfs", "fuse.juicefs", "fuse.s3fs", "fuse.gcsfuse", "fuse.rclone"}
JOURNAL_MODES = ("auto", "wal", "delete")


def filesystem_type(path: str, mountinfo: str = "/proc/self/mountinfo") -> str | None:
    """The type of the filesystem `path` is on ("ext4", "nfs4", ...), from the kernel's mount
    table; None where there is none to read (not Linux)."""
    real, found = os.path.realpath(path), ("", None)
    try:
        with open(mountinfo) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        fields, _, rest = line.partition(" - ")
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields.split()[4])
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and rest and len(point) >= len(found[0]):  # the last of equal mounts is the one seen
            found = (point, rest.split()[0])
    return found[1]


def journal_mode(folder: str, setting: str = "auto", sharded: bool = False) -> str:
    """SQLite's journal mode for a batch journal in `folder`: the `setting` where it is not "auto";
    else "delete" (the rollback journal) on a network filesystem and for a shard (Slurm runs the
    shards of one OUTDIR on several nodes, which must share that folder), and "wal" elsewhere (a
    reader never waits on the writer)."""
    if setting != "auto":
        return setting
    return "delete" if sharded or filesystem_type(folder) in NETWORK_FILESYSTEMS else "wal"


class JournalDamaged(VidcapError):
    """The journal file cannot be read as a database, or fails SQLite's integrity check."""


class Journal:
    def __init__(self, path: str, readonly: bool = False, mode: str = "wal"):
        self.path = path
        try:
            if readonly:
                # A folder on read-only media: SQLite cannot make the WAL's shared-memory file beside
                # the journal, so it opens the file as one that cannot change (which there it cannot).
                frozen = "&immutable=1" if not os.access(os.path.dirname(path), os.W_OK) else ""
                address = urllib.parse.quote(path, errors="surrogateescape")
                self.db = sqlite3.connect(f"file:{address}?mode=ro{frozen}", uri=True)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                self.db = sqlite3.connect(path)
                self.db.execute(f"PRAGMA journal_mode={mode}")
                self.db.execute("PRAGMA synchronous=FULL")
            check = self.db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(check)
            if not readonly:
                self.db.execute(SCHEMA)
                self.db.commit()
            self.inode = os.stat(path).st_ino
        except sqlite3.OperationalError:  # a full disk, a locked or unwritable file: not damage
            raise
        except sqlite3.DatabaseError as e:
            raise JournalDamaged(f"{path}: the batch journal is damaged ({e}); `vidcap batch --rebuild-journal` "
                                 f"sets it aside and rebuilds it from the outputs in the folder") from None

    def still_there(self) -> bool:
        """Whether the journal's file is still the one opened: an OUTDIR removed while the batch
        runs leaves SQLite writing to a deleted file, and every record after that is lost."""
        try:
            return os.stat(self.path).st_ino == self.inode
        except FileNotFoundError:
            return False

    @staticmethod
    def set_aside(path: str) -> str | None:
        """Move a damaged journal (with its WAL files) out of the way; returns where it went."""
        if not os.path.exists(path):
            return None
        aside = f"{path}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.replace(path + suffix, aside + suffix)
        return aside

    def get(self, output: str) -> Entry | None:
        row = self.db.execute("SELECT * FROM videos WHERE output = ?", (as_text(output),)).fetchone()
        return Entry(*row) if row else None

    def entries(self) -> list[Entry]:
        return [Entry(*row) for row in self.db.execute("SELECT * FROM videos ORDER BY output")]

    def started(self, output: str, source: str, size: int, mtime_ns: int, fingerprint: str, worker: str):
        with self.db:
            self.db.execute(
                """INSERT INTO videos (output, source, status, attempts, size, mtime_ns, fingerprint,
                                       started, worker)
                   VALUES (?, ?, 'running', 1, ?, ?, ?, ?, ?)
                   ON CONFLICT(output) DO UPDATE SET source = excluded.source, status = 'running',
                       attempts = attempts + 1,
                       failures = CASE WHEN size IS excluded.size AND mtime_ns IS excluded.mtime_ns
                                       THEN failures ELSE 0 END,
                       size = excluded.size, mtime_ns = excluded.mtime_ns,
                       fingerprint = excluded.fingerprint, started = excluded.started,
                       worker = excluded.worker, finished = NULL, seconds = NULL""",
                (as_text(output), as_text(source), size, mtime_ns, fingerprint, time.time(), worker))

    def done(self, output: str, sha256: str, seconds: float, duration: float, shots: int, cues: int):
        with self.db:
            self.db.execute(
                """UPDATE videos SET status = 'done', error = NULL, permanent = 0, failures = 0,
                       sha256 = ?, finished = ?, seconds = ?, duration = ?, shots = ?, cues = ?
                   WHERE output = ?""",
                (sha256, time.time(), seconds, duration, shots, cues, as_text(output)))

    def failed(self, output: str, error: str, permanent: bool, seconds: float):
        with self.db:
            self.db.execute(
                """UPDATE videos SET status = 'failed', error = ?, permanent = ?,
                       failures = failures + 1, finished = ?, seconds = ? WHERE output = ?""",
                (as_text(error), int(permanent), time.time(), seconds, as_text(output)))

    def kept(self, output: str, source: str, reason: str):
        with self.db:
            self.db.execute(
                """INSERT INTO videos (output, source, status, error) VALUES (?, ?, 'kept', ?)
                   ON CONFLICT(output) DO UPDATE SET source = excluded.source, status = 'kept',
                       error = excluded.error""",
                (as_text(output), as_text(source), as_text(reason)))

    def close(self):
        self.db.close()


def all_journals(outdir: str) -> list[str]:
    """The journals in OUTDIR: the whole folder's, or one per shard."""
    return sorted(glob.glob(os.path.join(state_dir(outdir), "journal*.sqlite")))


class EventLog:
    """JSON lines, one per event, appended to OUTDIR/.vidcap/log.jsonl."""

    def __init__(self, outdir: str):
        self.file = open(os.path.join(state_dir(outdir), "log.jsonl"), "a", encoding="utf-8",
                         errors="backslashreplace")  # see as_text

    def __call__(self, event: str, **fields):
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "event": event, "pid": os.getpid(), **fields}
        self.file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.file.flush()

    def close(self):
        self.file.close()
