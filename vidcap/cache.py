"""On-disk cache of per-video analysis, keyed by the file's content hash and every setting that
changes the result, so a rerun over the same film skips decoding and the CNN."""

import hashlib
import json
import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Optional

import numpy as np

from .narration.writers import atomic_file


def cache_dir() -> Path:
    root = os.environ.get("VIDCAP_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "vidcap")
    return Path(root)


def file_digest(path: str) -> str:
    """SHA-256 of a file's content; a file unchanged since it was last hashed (same inode, size
    and modification time) is not read again, so the analysis cache and the batch journal
    share one pass over a film."""
    stat = os.stat(path)
    return _digest(os.path.abspath(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _digest(path: str, inode: int, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _written_record(path: str) -> Path:
    return cache_dir() / "written" / hashlib.sha256(os.path.abspath(path).encode()).hexdigest()


def remember_written(path: str):
    """Notes the content of an output file vidcap just wrote (best effort: a cache folder that
    cannot be written only costs --overwrite on the next run)."""
    record = _written_record(path)
    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(file_digest(path))
    except OSError:
        pass


def written_by_vidcap(path: str) -> bool:
    """Whether the file at `path` is, unchanged, what vidcap last wrote there."""
    try:
        return _written_record(path).read_text() == file_digest(path)
    except OSError:
        return False


def cache_key(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


def load(kind: str, key: str) -> Optional[dict]:
    """The arrays saved under `key`; with them, as "rows", the open file of rows saved beside them."""
    path = cache_dir() / kind / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        if "rows_saved" in arrays:
            arrays["rows"] = open(path.with_suffix(".rows"), "rb")
        return arrays
    except (OSError, ValueError, KeyError):
        return None  # missing or damaged: recompute


def save(kind: str, key: str, arrays: dict, rows: Optional[BinaryIO] = None):
    """`rows`, a file too big to hold in memory (FeatureSpool's), is copied beside the arrays."""
    folder = cache_dir() / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if rows is not None:
            rows.seek(0)
            with atomic_file(str(folder / f"{key}.rows")) as f:
                shutil.copyfileobj(rows, f, 1 << 20)
            arrays = {**arrays, "rows_saved": np.array(True)}
        with atomic_file(str(folder / f"{key}.npz")) as f:
            np.savez(f, **arrays)  # straight to the file: a 2-hour film's arrays are never held twice
    except OSError:
        pass  # a cache that cannot be written only costs time next run
