"""`vidcap batch`: folders, globs or manifests of films to subtitle files in OUTDIR. Resumable
(the journal skips what is done and unchanged), parallel (local worker processes or Ray
actors), safe to kill at any moment (outputs are renamed into place whole) and one run per
OUTDIR at a time (a lock)."""

import csv
import glob
import hashlib
import json
import os
import re
import signal
import sqlite3
import sys
import threading
import time
import zlib
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache

from ..analysis.decode import VIDEO_EXTENSIONS
from ..analysis.speech import DEFAULT_SPEECH_MODEL
from ..errors import VidcapError
from ..narration.dialogue import CONTENTS
from ..narration.writers import FORMATS, PARTIAL_FILE, atomic_write
from ..pipeline import ANALYSIS_VERSION, Options
from .journal import (
    STATE_DIR,
    STATUSES,
    EventLog,
    Journal,
    all_journals,
    batch_lock,
    journal_mode,
    journal_path,
    lock_holders,
    state_dir,
)
from .workers import Job, Outcome, review_page

MANIFEST_OPTIONS = {"format": str, "narrator": str, "encoder": str, "sample_fps": float, "decode_fps": float,
                    "content": str, "audio_track": int}


class UsageError(VidcapError):
    """The command itself is wrong (exit status 2)."""


@dataclass
class Source:
    path: str  # absolute
    name: str  # output path relative to OUTDIR, without extension
    options: dict = field(default_factory=dict)  # per-file overrides from a manifest
    explicit_name: bool = False


def safe_relative(path: str) -> str:
    """A relative path that cannot leave the folder it is joined to: no root, no '..', no '.',
    and never into the batch's own state folder."""
    parts = [p for p in re.split(r"[/\\]+", path) if p not in ("", ".", "..")]
    if parts and parts[0] == STATE_DIR:
        parts = parts[1:]
    if not parts:
        raise UsageError(f"{path!r}: not a usable output name")
    return os.path.join(*parts)


def _mirror(path: str, root: str) -> str:
    """The input's path below `root` (or, outside it, its whole absolute path) without extension."""
    rel = os.path.relpath(path, root)
    if rel.startswith(".."):
        rel = path
    return safe_relative(os.path.splitext(rel)[0])


def _walk(folder: str) -> list[str]:
    found = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(top, f) for f in sorted(files)
                  if not f.startswith(".") and os.path.splitext(f)[1].lower() in VIDEO_EXTENSIONS]
    return found


def _manifest_rows(path: str) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        if path.lower().endswith(".csv"):
            return [dict(row, _line=n) for n, row in enumerate(csv.DictReader(f), 2)]
        rows = []
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise UsageError(f"{path}:{n}: not JSON: {e.msg}") from None
                rows.append(dict(row, _line=n) if isinstance(row, dict) else {"_line": n})
        return rows


def _from_manifest(path: str) -> list[Source]:
    folder = os.path.dirname(os.path.abspath(path))
    sources = []
    for row in _manifest_rows(path):
        where = f"{path}:{row.pop('_line')}"
        video = str(row.pop("path", "") or "").strip()
        if not video:
            raise UsageError(f"{where}: no 'path'")
        output = str(row.pop("output", "") or "").strip()
        unknown = sorted(k for k, v in row.items() if k not in MANIFEST_OPTIONS and v not in ("", None))
        if unknown:
            raise UsageError(f"{where}: unknown column {unknown[0]!r}; known: path, output, "
                             + ", ".join(MANIFEST_OPTIONS))
        options = {}
        for key, value in row.items():
            if value in ("", None):
                continue
            try:
                options[key] = MANIFEST_OPTIONS[key](value)
            except ValueError:
                raise UsageError(f"{where}: {key} {value!r} is not a number") from None
        if options.get("format", "srt") not in FORMATS:
            raise UsageError(f"{where}: format {options['format']!r}; choose one of {', '.join(FORMATS)}")
        if options.get("content", "descriptions") not in CONTENTS:
            raise UsageError(f"{where}: content {options['content']!r}; choose one of {', '.join(CONTENTS)}")
        video = os.path.normpath(os.path.join(folder, video))
        name = safe_relative(os.path.splitext(output)[0]) if output else _mirror(video, folder)
        sources.append(Source(video, name, options, explicit_name=bool(output)))
    return sources


def find_sources(inputs: list[str]) -> list[Source]:
    """Folders (searched for video files), globs, single files and manifests (.csv or .jsonl
    with a 'path' column and optional 'output' and per-file options)."""
    sources = []
    for item in inputs:
        if os.path.isfile(item) and item.lower().endswith((".csv", ".jsonl")):
            sources += _from_manifest(item)
        elif os.path.isdir(item):
            root = os.path.abspath(item)
            sources += [Source(p, _mirror(p, root)) for p in _walk(root)]
        elif glob.has_magic(item):
            root = os.path.abspath(item.split("*")[0].split("?")[0].split("[")[0] or ".")
            root = root if os.path.isdir(root) else os.path.dirname(root)
            sources += [Source(os.path.abspath(p), _mirror(os.path.abspath(p), root))
                        for p in sorted(glob.glob(item, recursive=True)) if os.path.isfile(p)]
        elif os.path.exists(item):
            path = os.path.abspath(item)
            sources.append(Source(path, _mirror(path, os.path.dirname(path))))
        else:
            raise UsageError(f"{item}: no such file, folder or matching files")
    if not sources:
        raise UsageError(f"no video files found in {', '.join(inputs)}")
    return sources


def make_jobs(sources: list[Source], base: Options, fmt: str) -> list[Job]:
    """One job per distinct input. Two inputs that would share an output name (film.mp4 and
    film.mkv) keep their extensions in it (film.mp4.srt, film.mkv.srt)."""
    unique = list({s.path: s for s in sources}.values())
    by_name: dict[str, list[Source]] = {}
    for s in unique:
        by_name.setdefault(s.name, []).append(s)
    jobs = []
    for s in unique:
        name = s.name
        if len(by_name[name]) > 1 and not s.explicit_name:
            name += os.path.splitext(s.path)[1]
        overrides = {k: v for k, v in s.options.items() if k != "format"}
        job_format = s.options.get("format", fmt)
        jobs.append(Job(s.path, f"{name}.{job_format}", job_format, replace(base, **overrides)))
    outputs = [j.output for j in jobs]
    if len(set(outputs)) != len(outputs):
        clash = next(o for o in outputs if outputs.count(o) > 1)
        raise UsageError(f"two inputs would both write {clash}; give them distinct 'output' names")
    return jobs


@lru_cache(maxsize=8)
def _narrator_digest(narrator: str) -> str:
    from ..narration.narrator import DEFAULT_MODEL

    if narrator == "rules":
        return "rules"
    folder = DEFAULT_MODEL if narrator == "lstm" else narrator.removeprefix("lstm:")
    h = hashlib.sha256()
    for name in ("config.json", "model.safetensors"):
        try:
            with open(os.path.join(folder, name), "rb") as f:
                h.update(f.read())
        except OSError:
            h.update(b"missing")
    return h.hexdigest()


def fingerprint(job: Job) -> str:
    """What made the output besides the video: vidcap, analysis and model versions, settings."""
    from .. import __version__

    settings = {k: v for k, v in asdict(job.options).items() if k not in ("use_cache", "time_limit")}
    data = {"vidcap": __version__, "analysis": ANALYSIS_VERSION, "format": job.format,
            **({"report": True} if job.report else {}),
            "narrator_weights": _narrator_digest(job.options.narrator), "options": settings,
            **({"speech_model": job.options.speech_model or DEFAULT_SPEECH_MODEL}
               if job.options.content != "descriptions" else {})}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    m = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not m or not int(m.group(1)) < int(m.group(2)):
        raise UsageError(f"--shard {text!r}: expected K/N with 0 <= K < N, e.g. 0/4")
    return int(m.group(1)), int(m.group(2))


def in_shard(job: Job, shard: tuple[int, int] | None) -> bool:
    return shard is None or zlib.crc32(job.output.encode()) % shard[1] == shard[0]


@dataclass
class Plan:
    todo: list[Job]
    done: list[Job]  # done earlier, unchanged
    failed: list[Job]  # failed earlier for good (bad input or out of retries), unchanged
    kept: list[Job] = field(default_factory=list)  # its output name taken by a file the batch did not write


KEPT = "a file the batch did not write has its name (--force replaces it)"


def plan(jobs: list[Job], journal: Journal, outdir: str, retries: int, force: bool,
         known: frozenset = frozenset()) -> Plan:
    """What to do. A file already in OUTDIR under a video's output name, of which neither the
    journal nor OUTDIR's other journals (`known`: their outputs; shards') know anything (a
    subtitle file made by hand, in `batch films/ -o films/`), is kept, and so is one the journal
    has kept before: only --force replaces it (--rebuild-journal takes such files as the batch's own)."""
    result = Plan([], [], [])
    for job in jobs:
        entry = journal.get(job.output)
        unchanged = (entry is not None and (entry.size, entry.mtime_ns) == identity(job.source)
                     and entry.fingerprint == fingerprint(job))
        not_ours = entry.status == "kept" if entry is not None else job.output not in known
        if not force and not_ours and os.path.lexists(os.path.join(outdir, job.output)):
            result.kept.append(job)
        elif force or not unchanged:
            result.todo.append(job)
        elif entry.status == "done" and os.path.isfile(os.path.join(outdir, job.output)):
            result.done.append(job)
        elif entry.status == "failed" and (entry.permanent or entry.failures > retries):
            result.failed.append(job)
        else:
            result.todo.append(job)
    return result


def identity(path: str) -> tuple[int | None, int | None]:
    """Size and modification time: a file whose identity is unchanged is not hashed again."""
    try:
        stat = os.stat(path)
    except OSError:
        return None, None
    return stat.st_size, stat.st_mtime_ns


def remove_stale_temp_files(outdir: str) -> int:
    """Half-written outputs of a run that was killed (safe: this run holds the lock)."""
    removed = 0
    for top, dirs, files in os.walk(outdir):
        dirs[:] = [d for d in dirs if d != STATE_DIR]
        for f in files:
            if PARTIAL_FILE.match(f):
                os.unlink(os.path.join(top, f))
                removed += 1
    return removed


def write_output(outdir: str, job: Job, text: str, page: str = ""):
    """The output, and its review page when there is one (written first: the output is what
    marks the video done)."""
    target = os.path.join(outdir, job.output)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    inside = os.path.realpath(outdir)
    if os.path.commonpath([inside, os.path.realpath(os.path.dirname(target))]) != inside:
        raise VidcapError(f"{job.output}: output folder leads outside {outdir} (a symlink?)")
    if page and job.format != "html":
        atomic_write(review_page(target), page)
    atomic_write(target, text)


class Progress:
    """One bar for the batch and one per running video (on a terminal only), fed by the
    workers' progress reports through the engine."""

    def __init__(self, engine, total: int):
        from tqdm import tqdm

        self.tqdm, self.engine, self.lock = tqdm, engine, threading.Lock()
        self.enabled = sys.stderr.isatty()
        self.batch = tqdm(total=total, desc="batch", unit="video", position=0, disable=not self.enabled)
        self.bars: dict[str, object] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self):
        while not self.stop.is_set():
            report = self.engine.poll_report(0.3)
            if report and self.enabled:
                output, seconds, duration = report
                with self.lock:
                    bar = self.bars.get(output)
                    if bar is None:
                        used = {abs(b.pos) for b in self.bars.values()}
                        slot = next(n for n in range(1, len(used) + 2) if n not in used)
                        bar = self.bars[output] = self.tqdm(total=round(duration or 0) or None, unit="s",
                                                            desc=output[-30:], position=slot, leave=False)
                    bar.n = min(round(seconds), bar.total or round(seconds))
                    bar.refresh()

    def finished(self, output: str):
        with self.lock:
            bar = self.bars.pop(output, None)
            if bar is not None:
                bar.close()
            self.batch.update(1)

    def close(self):
        self.stop.set()
        self.thread.join(timeout=2)
        self.batch.close()


def run_batch(inputs: list[str], outdir: str, options: Options = Options(), fmt: str = "srt",
              workers: int | None = None, engine: str = "local", address: str | None = None,
              retries: int = 2, force: bool = False, shard: str | None = None, rebuild_journal: bool = False,
              report: bool = False, journal_setting: str = "auto") -> int:
    """The batch; returns the exit status: 0 when every video has its output, 1 when some
    failed (now or, unchanged, before). `rebuild_journal`: set the journal aside and start a new
    one in which every job whose output is in OUTDIR is done (see rebuild). `report`: each video's
    review page too. `journal_setting`: SQLite's journal mode, or "auto" (journal.journal_mode)."""
    jobs = [replace(job, report=report, outdir=os.path.abspath(outdir))
            for job in make_jobs(find_sources(inputs), options, fmt)]
    part = parse_shard(shard)
    jobs = [j for j in jobs if in_shard(j, part)]
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise UsageError(f"{outdir}: exists and is not a folder")
    # systemd, Kubernetes and Slurm stop a job with SIGTERM: stop as on Ctrl-C, workers shut
    # down and the log says so; what was in flight is redone by the next run.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        os.makedirs(outdir, exist_ok=True)
        with batch_lock(outdir, part):
            aside = Journal.set_aside(journal_path(outdir, part)) if rebuild_journal else None
            mode = journal_mode(state_dir(outdir), journal_setting, sharded=part is not None)
            journal, log = Journal(journal_path(outdir, part), mode=mode), EventLog(outdir)
            try:
                if rebuild_journal:
                    log("journal_rebuilt", set_aside=aside, done=rebuild(journal, jobs, outdir))
                return _run(jobs, outdir, journal, log, workers, engine, address, retries, force)
            except KeyboardInterrupt:
                log("batch_interrupted")
                raise
            finally:
                journal.close()
                log.close()
    except (OSError, sqlite3.Error) as e:  # outputs that could not be written are failures of their own (_run)
        raise VidcapError(f"{outdir}: cannot keep the batch's records ({e}): a full disk, or a folder that "
                          f"cannot be written? Every output written so far is whole and kept; run again to finish") from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def rebuild(journal: Journal, jobs: list[Job], outdir: str) -> int:
    """Record as done, with this run's settings, every job whose output is already in OUTDIR (the
    outputs are only ever written whole, so one that is there is complete); the rest are left to do.
    Returns how many were recorded."""
    done = 0
    for job in jobs:
        if os.path.isfile(os.path.join(outdir, job.output)):
            journal.started(job.output, job.source, *identity(job.source), fingerprint(job), "rebuilt")
            journal.done(job.output, None, 0.0, None, None, None)
            done += 1
    return done


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _run(jobs, outdir, journal, log, workers, engine_name, address, retries, force) -> int:
    start = time.monotonic()
    stale = remove_stale_temp_files(outdir)
    others = [path for path in all_journals(outdir) if os.path.abspath(path) != os.path.abspath(journal.path)]
    known = frozenset(entry.output for path in others for entry in _entries(path) if entry.status != "kept")
    work = plan(jobs, journal, outdir, retries, force, known)
    log("batch_start", outdir=outdir, videos=len(jobs), todo=len(work.todo), unchanged_done=len(work.done),
        unchanged_failed=len(work.failed), kept=len(work.kept), stale_temp_files_removed=stale, engine=engine_name)
    for job in work.kept:
        journal.kept(job.output, job.source, KEPT)
        log("video_kept", output=job.output, source=job.source)
        print(f"  kept    {job.output}: {KEPT}", file=sys.stderr)
    if not work.todo:
        message = (f"{outdir}: nothing to do: {len(work.done)} done and unchanged"
                   + (f", {len(work.failed)} failed and unchanged (fix or replace them, or use --force)"
                      if work.failed else "") + (f", {len(work.kept)} kept" if work.kept else ""))
        print(message, file=sys.stderr)
        log("batch_end", done=0, failed=0, seconds=0.0, nothing_to_do=True)
        return 1 if work.failed or work.kept else 0

    from .workers import LocalEngine, RayEngine

    engine = RayEngine(workers, address) if engine_name == "ray" else LocalEngine(workers)
    print(f"{outdir}: {len(work.todo)} to describe ({len(work.done)} done and unchanged) "
          f"with {engine.workers} {engine.name} worker(s)", file=sys.stderr)
    progress = Progress(engine, len(work.todo))
    done, failed = [], []

    def started(job: Job):
        journal.started(job.output, job.source, *identity(job.source), fingerprint(job), engine.name)
        log("video_start", output=job.output, source=job.source)

    try:
        for job, outcome in engine.run(work.todo, started):
            if not journal.still_there():
                raise VidcapError(f"{outdir}: the output folder was removed or replaced while the batch ran; "
                                  f"stopped ({len(done)} outputs written before went with it): run again to redo them")
            if outcome.ok:
                try:
                    write_output(outdir, job, outcome.text, outcome.page)
                except (OSError, VidcapError) as e:
                    outcome = Outcome(False, error=f"cannot write {job.output}: {e}", seconds=outcome.seconds)
            if outcome.ok:
                journal.done(job.output, outcome.sha256, outcome.seconds, outcome.duration,
                             outcome.shots, outcome.cues)
                done.append(job)
                log("video_done", output=job.output, seconds=round(outcome.seconds, 2),
                    duration=round(outcome.duration, 2), cues=outcome.cues, worker=outcome.worker)
            else:
                journal.failed(job.output, outcome.error, outcome.permanent, outcome.seconds)
                failed.append((job, outcome.error))
                log("video_failed", output=job.output, error=outcome.error, permanent=outcome.permanent,
                    worker=outcome.worker)
            progress.finished(job.output)
    finally:
        progress.close()
        engine.close()
    seconds = time.monotonic() - start
    log("batch_end", done=len(done), failed=len(failed), seconds=round(seconds, 1))
    print(f"{outdir}: {len(done)} done, {len(failed)} failed, {len(work.done)} unchanged "
          f"in {seconds:.0f} s", file=sys.stderr)
    for job, error in failed + [(j, journal.get(j.output).error) for j in work.failed]:
        print(f"  failed  {job.output}: {error}", file=sys.stderr)
    return 1 if failed or work.failed or work.kept else 0


def batch_entries(outdir: str) -> list:
    """Every video of OUTDIR's journal(s) (one per shard)."""
    paths = all_journals(outdir)
    if not paths:
        raise UsageError(f"{outdir}: no batch journal here (not a vidcap batch output folder)")
    return [entry for path in paths for entry in _entries(path)]


def _entries(path) -> list:
    journal = Journal(path, readonly=True)
    try:
        return journal.entries()
    finally:
        journal.close()


def status_table(outdir: str) -> str:
    """The journal(s) of OUTDIR as a summary and one row per video."""
    entries = batch_entries(outdir)
    counts = {s: sum(e.status == s for e in entries) for s in STATUSES}
    video = sum(e.duration or 0 for e in entries if e.status == "done")
    work = sum(e.seconds or 0 for e in entries if e.status == "done")
    lines = [f"{outdir}: {len(entries)} videos: {counts['done']} done, {counts['failed']} failed, "
             f"{counts['running']} running or interrupted" + (f", {counts['kept']} kept" if counts["kept"] else "")]
    if work:
        lines.append(f"described {video / 60:.1f} min of video in {work / 60:.1f} min of worker time "
                     f"({video / work:.1f}x realtime per worker)")
    width = max(len(e.output) for e in entries)
    lines.append(f"{'output':<{width}}  {'status':<7}  {'tries':>5}  {'seconds':>7}  error")
    for e in entries:
        lines.append(f"{e.output:<{width}}  {e.status:<7}  {e.attempts:>5}  {e.seconds or 0:>7.1f}  "
                     f"{e.error or ''}")
    lines += [f"running now: {holder}" for holder in lock_holders(outdir)]
    return "\n".join(lines)
