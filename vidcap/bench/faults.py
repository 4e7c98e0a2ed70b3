"""Faults a batch meets overnight, staged as `make fuzz` and the tests play them: the disk fills,
OUTDIR is removed while the batch runs, OUTDIR's media turn read-only, the journal is damaged,
the OOM killer ends a worker. Each returns the problems it found, [] when the batch behaved:
it stops with one clear line or fails only the video concerned, loses nothing, and the next run
finishes the rest. Mounting a tmpfs and making a memory cgroup need root: where they cannot be
had, Unavailable is raised."""

import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import srt

from ..learning.synth import run_ffmpeg

VIDCAP = [sys.executable, "-m", "vidcap"]
GOOD = ["one.mp4", "two.mp4", "sub/three.mp4"]  # where make_films puts its three clips


class Unavailable(Exception):
    """This machine cannot stage the fault (it needs root, or a kernel feature that is absent)."""


def make_films(folder: Path, clips: list[str]) -> Path:
    """A batch's input folder: three good clips, one in a subfolder."""
    for name, clip in zip(GOOD, clips):
        os.makedirs(os.path.dirname(folder / name), exist_ok=True)
        shutil.copyfile(clip, folder / name)
    return folder


def journal_rows(out: Path) -> dict:
    """output -> (status, attempts, error, permanent), as the batch's journal holds them."""
    db = sqlite3.connect(out / ".vidcap" / "journal.sqlite")
    rows = {r[0]: r[1:] for r in db.execute("SELECT output, status, attempts, error, permanent FROM videos")}
    db.close()
    return rows


def events(out: Path, kind: str) -> list[str]:
    lines = (out / ".vidcap" / "log.jsonl").read_text().splitlines()
    return [e["output"] for e in map(json.loads, lines) if e["event"] == kind]


def batch_command(films: Path, out: Path, *extra: str) -> list[str]:
    return [*VIDCAP, "batch", str(films), "-o", str(out), "--workers", "1", *extra]


def one_error_line(run: subprocess.CompletedProcess, expected: str) -> list[str]:
    """[] when the run failed with exit 1 and one error line holding `expected`, and no traceback."""
    lines = [line for line in run.stderr.splitlines() if line.startswith("vidcap: error")]
    if run.returncode == 1 and "Traceback" not in run.stderr and len(lines) == 1 and expected in lines[0]:
        return []
    return [f"expected exit 1 and one line saying {expected!r}; exit {run.returncode}: {run.stderr[-800:]}"]


def all_done(out: Path, names: list[str] = GOOD) -> list[str]:
    """[] when the journal has each of `names` done and its subtitles read back."""
    outputs = [os.path.splitext(n)[0] + ".srt" for n in names]
    rows = journal_rows(out)
    problems = [f"{o}: {rows.get(o, ('missing',))[0]} in the journal" for o in outputs if rows.get(o, ("",))[0] != "done"]
    for o in outputs:
        try:
            if not list(srt.parse((out / o).read_text())):
                problems.append(f"{o}: no cues")
        except (OSError, srt.SRTParseError) as e:
            problems.append(f"{o}: {e}")
    return problems


def finish(films: Path, out: Path) -> list[str]:
    """The next run, with room and nothing in its way: exit 0 and every video done."""
    again = subprocess.run(batch_command(films, out, "--no-cache"), capture_output=True, text=True, timeout=300)
    return ([f"the next run: exit {again.returncode}: {again.stderr[-800:]}"] if again.returncode else []) + all_done(out)


def full_disk(films: Path, out: Path) -> list[str]:
    """A file-size limit of 20 kB stands for a full disk (writes past it fail with EFBIG)."""
    def small_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    full = subprocess.run(batch_command(films, out, "--no-cache"), preexec_fn=small_disk,
                          capture_output=True, text=True, timeout=300)
    return one_error_line(full, "cannot keep the batch's records") + finish(films, out)


def after_first_output(command: list[str], out: Path, act) -> subprocess.CompletedProcess:
    """Run a batch; once its first output is written, `act()`; then let it end."""
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and run.poll() is None and not list(out.glob("*.srt")):
        time.sleep(0.02)
    if run.poll() is not None:
        return subprocess.CompletedProcess(command, -1, "", "the batch ended before its folder could be changed")
    act()
    stderr = run.communicate(timeout=180)[1]
    return subprocess.CompletedProcess(command, run.returncode, "", stderr)


def removed_folder(films: Path, out: Path) -> list[str]:
    """SQLite would go on writing the journal into the deleted file and its records be lost."""
    ended = after_first_output(batch_command(films, out, "--no-cache"), out, lambda: shutil.rmtree(out))
    return one_error_line(ended, "removed or replaced while the batch ran") + finish(films, out)


@contextmanager
def small_tmpfs(where: Path):
    """A 20 MB tmpfs mounted at `where` (root only)."""
    where.mkdir(parents=True)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(where)],
                                           capture_output=True).returncode:
        raise Unavailable("mounting a tmpfs needs root")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)])


def read_only_folder(films: Path, work: Path, clip: str) -> list[str]:
    """OUTDIR on media that became read-only (root writes through permissions, not through a
    read-only mount): a new run is refused in one line, nothing is lost, and the folder's status
    and review page can still be read."""
    with small_tmpfs(work / "mount") as mount:
        out = mount / "subs"
        first = subprocess.run(batch_command(films, out), capture_output=True, text=True, timeout=300)
        if first.returncode:
            return [f"the first run: exit {first.returncode}: {first.stderr[-800:]}"]
        before = {p.name: p.read_bytes() for p in out.glob("*.srt")}
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        shutil.copyfile(clip, films / "new.mp4")
        try:
            refused = subprocess.run(batch_command(films, out), capture_output=True, text=True, timeout=300)
        finally:
            os.remove(films / "new.mp4")
        problems = one_error_line(refused, "Read-only file system")
        if {p.name: p.read_bytes() for p in out.glob("*.srt")} != before:
            problems.append("the outputs changed")
        status = subprocess.run([*VIDCAP, "status", str(out)], capture_output=True, text=True)
        if status.returncode or "3 done" not in status.stdout:
            problems.append(f"vidcap status: exit {status.returncode}: {status.stdout[-300:]}{status.stderr[-300:]}")
        page = work / "report.html"
        report = subprocess.run([*VIDCAP, "report", str(out), "-o", str(page)], capture_output=True, text=True)
        if report.returncode or page.read_text().count('class="video done"') != 3:
            problems.append(f"vidcap report: exit {report.returncode}: {report.stderr[-300:]}")
        return problems


def damaged_journal(films: Path, out: Path, damage: str) -> list[str]:
    """A journal with garbage written over it, or cut short: one clear line; --rebuild-journal
    sets it aside and takes the outputs in OUTDIR as done, so nothing is described again (and
    an output lost with the journal is described anew)."""
    first = subprocess.run(batch_command(films, out), capture_output=True, text=True, timeout=300)
    if first.returncode:
        return [f"the first run: exit {first.returncode}: {first.stderr[-800:]}"]
    journal = out / ".vidcap" / "journal.sqlite"
    data = journal.read_bytes()
    journal.write_bytes(data[:100] + random.Random(2).randbytes(4000) + data[4100:] if damage == "garbage"
                        else data[:len(data) // 2])
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.srt")}
    (out / "one.srt").unlink()
    problems = one_error_line(subprocess.run(batch_command(films, out), capture_output=True, text=True, timeout=300),
                              "journal is damaged")
    rebuilt = subprocess.run(batch_command(films, out, "--rebuild-journal"), capture_output=True, text=True, timeout=300)
    if rebuilt.returncode:
        return problems + [f"--rebuild-journal: exit {rebuilt.returncode}: {rebuilt.stderr[-800:]}"]
    if not list((out / ".vidcap").glob("journal.sqlite.damaged-*")):
        problems.append("the damaged journal was not kept aside")
    if events(out, "video_start")[-1:] != ["one.srt"] or len(events(out, "video_start")) != 4:
        problems.append(f"described after the rebuild: {events(out, 'video_start')[3:]}, not one.srt alone")
    if {p: p.stat().st_mtime_ns for p in out.rglob("*.srt") if p.name != "one.srt"} != \
            {p: t for p, t in before.items() if p.name != "one.srt"}:
        problems.append("outputs the journal had done were written again")
    return problems + all_done(out)


@contextmanager
def memory_cgroup(megabytes: int = 1000):
    """A memory cgroup (v1 or v2, root only): the path of its cgroup.procs."""
    name = f"vidcap-fault-{os.getpid()}"
    v1, v2 = "/sys/fs/cgroup/memory", "/sys/fs/cgroup"
    folder, limit = (os.path.join(v1, name), "memory.limit_in_bytes") if os.path.isdir(v1) else \
        (os.path.join(v2, name), "memory.max")
    try:
        os.mkdir(folder)
        with open(os.path.join(folder, limit), "w") as f:
            f.write(str(megabytes * 2**20))
    except OSError as e:
        raise Unavailable(f"no memory cgroup to be had here: {e}") from None
    try:
        yield os.path.join(folder, "cgroup.procs")
    finally:
        for _ in range(50):
            try:
                os.rmdir(folder)
                break
            except OSError:  # its processes are still going
                time.sleep(0.1)


def oom_killed(films: Path, out: Path) -> list[str]:
    """A 16000x16000 film needs about 1.6 GB in ffmpeg; in a 1000 MB cgroup the kernel's OOM
    killer ends it (or the worker holding it). That video fails for a passing reason, said in one
    line; the others are done; the next run tries it again."""
    huge = films / "huge.mkv"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=blue:s=16000x16000:r=1:d=2", "-threads", "1", "-c:v", "png", str(huge)])
    try:
        with memory_cgroup() as procs:
            def confined():
                with open(procs, "w") as f:
                    f.write(str(os.getpid()))

            ended = subprocess.run(batch_command(films, out, "--no-cache"), preexec_fn=confined,
                                   capture_output=True, text=True, timeout=300)
    finally:
        os.remove(huge)
    problems = [] if ended.returncode == 1 and "Traceback" not in ended.stderr else \
        [f"exit {ended.returncode}: {ended.stderr[-800:]}"]
    status, _, error, permanent = journal_rows(out).get("huge.srt", ("missing", 0, "", 0))
    if status != "failed" or permanent or not ("killed by signal 9" in error or "worker process died" in error):
        problems.append(f"huge.srt: {status}, permanent={permanent}: {error}")
    elif f"failed  huge.srt: {error}" not in ended.stderr:
        problems.append("the failure is not said on stderr")
    return problems + all_done(out)


FAULTS = {
    "disk full": lambda films, work, clip: full_disk(films, work / "subs"),
    "OUTDIR removed mid-run": lambda films, work, clip: removed_folder(films, work / "subs"),
    "OUTDIR read-only": read_only_folder,
    "journal overwritten": lambda films, work, clip: damaged_journal(films, work / "subs", "garbage"),
    "journal truncated": lambda films, work, clip: damaged_journal(films, work / "subs", "truncated"),
    "worker OOM-killed": lambda films, work, clip: oom_killed(films, work / "subs"),
}


def play_all(clips: list[str], work: Path) -> dict:
    """Every fault, each on a fresh copy of three clips: {fault: problems, or "unavailable: why"}."""
    found = {}
    for i, (name, play) in enumerate(FAULTS.items()):
        folder = work / f"fault-{i}"
        try:
            found[name] = play(make_films(folder / "films", clips), folder, clips[0])
        except Unavailable as e:
            found[name] = f"unavailable: {e}"
    return found
