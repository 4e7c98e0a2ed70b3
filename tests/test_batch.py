import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import srt

from vidcap.bench import faults
from vidcap.bench.faults import GOOD, events, journal_rows
from vidcap.learning import synth
from vidcap.batch.batch import Source, make_jobs, safe_relative
from vidcap.cli import main
from vidcap.batch.journal import batch_lock
from vidcap.pipeline import Options

BAD = {"empty.mp4": "empty file", "corrupt.mp4": "not a playable video", "audio.m4a": "no video stream",
       "notes.mov": "not a playable video"}


@pytest.fixture(scope="module")
def good_clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("good")
    paths = []
    for i, word in enumerate(["ONE", "TWO", "THREE"]):
        path = d / f"clip{i}.mp4"
        card = synth.text_card([f"PART {word}"], (320, 240), font_size=30)
        synth.make_drawn_video(str(path), lambda n, t, card=card: card, 40 + 10 * i)
        paths.append(str(path))
    return paths


def make_folder(root, good_clips, bad=True):
    faults.make_films(root, good_clips)
    if bad:
        (root / "empty.mp4").write_bytes(b"")
        (root / "corrupt.mp4").write_bytes(random.Random(1).randbytes(100_000))
        synth.make_audio_only(str(root / "audio.m4a"))
        (root / "notes.mov").write_text("not a video at all\n" * 50)
    return root


def batch(capsys, *args):
    code = main(["batch", *map(str, args)])
    return code, capsys.readouterr().err


def test_two_workers_good_and_bad_files_then_nothing_to_do(tmp_path, good_clips, capsys):
    src, out = make_folder(tmp_path / "films", good_clips), tmp_path / "subs"
    code, err = batch(capsys, src, "-o", out, "--workers", 2)
    assert code == 1, err
    assert "3 done, 4 failed" in err
    for name in GOOD:
        cues = list(srt.parse((out / name).with_suffix(".srt").read_text()))
        assert cues, name
    rows = journal_rows(out)
    assert {k: v[0] for k, v in rows.items()} == {
        **{n.replace(".mp4", ".srt"): "done" for n in GOOD},
        **{os.path.splitext(n)[0] + ".srt": "failed" for n in BAD}}
    for name, reason in BAD.items():
        _, attempts, error, permanent = rows[os.path.splitext(name)[0] + ".srt"]
        assert reason in error and permanent == 1 and attempts == 1
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.srt")}

    code, err = batch(capsys, src, "-o", out, "--workers", 2)
    assert code == 1
    assert "nothing to do: 3 done and unchanged, 4 failed and unchanged" in err
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.srt")} == before
    assert len(events(out, "video_start")) == 7

    # A changed video is described again, and only that one.
    shutil.copyfile(good_clips[1], src / "one.mp4")
    code, err = batch(capsys, src, "-o", out, "--workers", 2)
    assert events(out, "video_start")[7:] == ["one.srt"]

    main(["status", str(out)])
    table = capsys.readouterr().out
    assert "7 videos: 3 done, 4 failed" in table and "empty file" in table


def test_killed_midway_then_resumed(tmp_path, good_clips, capsys):
    src, out = make_folder(tmp_path / "films", good_clips, bad=False), tmp_path / "subs"
    for i, clip in enumerate(good_clips):
        shutil.copyfile(clip, src / f"more{i}.mp4")
    run = subprocess.Popen([sys.executable, "-m", "vidcap", "batch", str(src), "-o", str(out), "--workers", "1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and run.poll() is None:
        if (out / ".vidcap" / "log.jsonl").exists() and events(out, "video_done"):
            break
        time.sleep(0.05)
    assert run.poll() is None, "the batch ended before it could be killed"
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    # The journal is what a resume trusts: the kill may fall between a video's journal entry and
    # its "video_done" log line.
    done_in = lambda rows: {output for output, row in rows.items() if row[0] == "done"}
    finished_first = done_in(journal_rows(out))
    assert 1 <= len(finished_first) < 6 and set(events(out, "video_done")) <= finished_first
    for path in out.rglob("*.srt"):  # whatever is there is whole
        assert list(srt.parse(path.read_text()))

    code, err = batch(capsys, src, "-o", out, "--workers", 1)
    assert code == 0, err
    done = events(out, "video_done")
    assert sorted(done) == sorted(set(done)) and len(done_in(journal_rows(out))) == 6  # every video done once
    assert not set(events(out, "video_start")[-(6 - len(finished_first)):]) & finished_first
    assert sorted(p.name for p in out.rglob("*") if p.is_file() and ".vidcap" not in p.parts) == sorted(
        ["one.srt", "two.srt", "three.srt", "more0.srt", "more1.srt", "more2.srt"])


def test_sigterm_stops_the_batch_cleanly(tmp_path, good_clips):
    src, out = make_folder(tmp_path / "films", good_clips, bad=False), tmp_path / "subs"
    run = subprocess.Popen([sys.executable, "-m", "vidcap", "batch", str(src), "-o", str(out), "--workers", "1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    log = out / ".vidcap" / "log.jsonl"
    while time.monotonic() < deadline and run.poll() is None and not (log.exists() and log.stat().st_size):
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)  # as systemd, Kubernetes or Slurm stop a job
    assert run.wait(timeout=60) == 130 and "interrupted" in run.stderr.read()
    logged = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert logged[0] == "batch_start" and logged[-1] == "batch_interrupted"


def test_second_run_on_the_same_folder_is_refused(tmp_path, good_clips, capsys):
    out = tmp_path / "subs"
    with batch_lock(str(out)):
        code, err = batch(capsys, good_clips[0], "-o", out)
    assert code == 3 and "another vidcap batch is already running here (pid" in err
    assert not (out / "clip0.srt").exists()


def test_names_stay_inside_the_output_folder(tmp_path, good_clips, capsys):
    manifest = tmp_path / "list" / "films.csv"
    manifest.parent.mkdir()
    manifest.write_text("path,output,format\n"
                        f"{good_clips[0]},../../../evil/escape,\n"
                        f"../{os.path.relpath(good_clips[1], tmp_path)},/etc/passwd,vtt\n")
    out = tmp_path / "subs"
    code, err = batch(capsys, manifest, "-o", out)
    assert code == 0, err
    assert (out / "evil" / "escape.srt").is_file()
    assert (out / "etc" / "passwd.vtt").read_text().startswith("WEBVTT")
    assert not (tmp_path / "evil").exists()
    assert safe_relative("../../.vidcap/journal.sqlite") == "journal.sqlite"


def test_same_name_different_extension_keep_their_extension():
    jobs = make_jobs([Source("/f/film.mp4", "film"), Source("/f/film.mkv", "film"), Source("/f/x.avi", "x")],
                     Options(), "srt")
    assert [j.output for j in jobs] == ["film.mp4.srt", "film.mkv.srt", "x.srt"]


def test_a_passing_failure_is_retried_up_to_the_limit(tmp_path, good_clips, capsys):
    out = tmp_path / "subs"
    out.mkdir()
    (out / "blocked").write_text("a file where the output folder should be")
    manifest = tmp_path / "films.jsonl"
    manifest.write_text(json.dumps({"path": good_clips[0], "output": "blocked/film"}) + "\n")
    for expected_starts in (1, 2, 2):
        code, err = batch(capsys, manifest, "-o", out, "--retries", 1, "--narrator", "rules")
        assert code == 1, err
        assert len(events(out, "video_start")) == expected_starts
    status, attempts, error, permanent = journal_rows(out)["blocked/film.srt"]
    assert status == "failed" and attempts == 2 and permanent == 0 and "cannot write" in error


@pytest.mark.parametrize("args, message", [
    (["/no/such/folder"], "no such file"),
    (["{manifest}"], "unknown column 'colour'"),
    (["{clip}", "--shard", "4/4"], "--shard"),
])
def test_usage_errors_exit_2(tmp_path, good_clips, capsys, args, message):
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"path,colour\n{good_clips[0]},red\n")
    args = [a.format(manifest=manifest, clip=good_clips[0]) for a in args]
    code, err = batch(capsys, *args, "-o", tmp_path / "out")
    assert code == 2 and message in err and err.count("\n") == 1


def test_ray_engine_on_a_local_ray(tmp_path, good_clips, capsys):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    try:
        src, out = make_folder(tmp_path / "films", good_clips[:2], bad=False), tmp_path / "subs"
        (src / "bad.mp4").write_bytes(b"")
        code, err = batch(capsys, src, "-o", out, "--engine", "ray", "--workers", 2)
    finally:
        ray.shutdown()
    assert code == 1, err
    rows = journal_rows(out)
    assert rows["one.srt"][0] == rows["two.srt"][0] == "done"
    assert rows["bad.srt"][0] == "failed" and "empty file" in rows["bad.srt"][2]
    assert list(srt.parse((out / "two.srt").read_text()))


def test_shards_share_one_output_folder(tmp_path, good_clips, capsys):
    src, out = make_folder(tmp_path / "films", good_clips, bad=False), tmp_path / "subs"
    for shard in ("0/2", "1/2"):
        code, err = batch(capsys, src, "-o", out, "--shard", shard, "--narrator", "rules")
        assert code == 0, err
    assert sorted(p.name for p in (out / ".vidcap").glob("journal*")) == [
        "journal-shard-0-of-2.sqlite", "journal-shard-1-of-2.sqlite"]
    assert len(list(out.rglob("*.srt"))) == 3
    main(["status", str(out)])
    assert "3 videos: 3 done, 0 failed" in capsys.readouterr().out


def test_a_file_name_that_is_not_utf8(tmp_path, good_clips, capsys):
    src, out = tmp_path / "films", tmp_path / "subs"
    src.mkdir()
    shutil.copyfile(good_clips[0], os.path.join(os.fsencode(src), b"caf\xe9.mp4"))
    code, err = batch(capsys, src, "-o", out, "--narrator", "rules")
    assert code == 0, err
    assert sorted(os.listdir(os.fsencode(out))) == [b".vidcap", b"caf\xe9.srt"]
    code, err = batch(capsys, src, "-o", out, "--narrator", "rules")
    assert code == 0 and "nothing to do: 1 done and unchanged" in err


def test_an_unreachable_ray_cluster_is_a_clear_error(tmp_path, good_clips, capsys):
    code, err = batch(capsys, good_clips[0], "-o", tmp_path / "subs", "--engine", "ray", "--address", "127.0.0.1:1")
    assert code == 1 and "cannot reach the Ray cluster at 127.0.0.1:1" in err and err.count("\n") == 1


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_journal_is_refused_then_rebuilt_from_the_outputs(tmp_path, good_clips, damage):
    """Issue 12: a corrupt or truncated journal gives one clear line; --rebuild-journal sets it aside
    and takes the outputs in OUTDIR as done, so nothing is described again."""
    assert faults.damaged_journal(make_folder(tmp_path / "films", good_clips, bad=False), tmp_path / "subs", damage) == []


def test_a_full_disk_stops_the_batch_in_one_line_and_the_next_run_finishes(tmp_path, good_clips):
    """Issue 12: disk full, simulated by a file-size limit (writes past it fail with EFBIG): the
    batch stops with one line, no traceback, and a run with room finishes every video once."""
    assert faults.full_disk(make_folder(tmp_path / "films", good_clips, bad=False), tmp_path / "subs") == []


def test_an_output_folder_removed_mid_run_stops_the_batch_in_one_line(tmp_path, good_clips):
    """Issue 12: SQLite would go on writing the journal into the deleted file and the records be lost."""
    assert faults.removed_folder(make_folder(tmp_path / "films", good_clips, bad=False), tmp_path / "subs") == []


def staged(fault, *args) -> list[str]:
    try:
        return fault(*args)
    except faults.Unavailable as e:
        pytest.skip(str(e))


def test_a_read_only_output_folder_is_refused_in_one_line_and_still_read(tmp_path, good_clips):
    """Issue 12: a batch's folder on media that became read-only: a new run is refused in one
    line, nothing is lost, and the folder's status and review page can still be read."""
    films = make_folder(tmp_path / "films", good_clips, bad=False)
    assert staged(faults.read_only_folder, films, tmp_path, good_clips[0]) == []


def test_the_oom_killer_fails_one_video_not_the_batch(tmp_path, good_clips):
    """Issue 12: in a 1000 MB memory cgroup the OOM killer ends the decode of a 16000x16000 film
    (or its worker): that video fails for a passing reason, in one line; the others are done."""
    assert staged(faults.oom_killed, make_folder(tmp_path / "films", good_clips, bad=False), tmp_path / "subs") == []


MOUNTS = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 252:1 / / rw,relatime - ext4 /dev/vda1 rw
95 27 0:52 / /mnt/shared\\040films rw,relatime - nfs4 filer:/films rw,vers=4.2
96 95 0:53 / /mnt/shared\\040films/scratch rw,relatime - tmpfs tmpfs rw
"""


def test_the_journal_never_uses_wal_on_a_network_filesystem(tmp_path):
    from vidcap.batch.journal import filesystem_type, journal_mode

    table = tmp_path / "mountinfo"
    table.write_text(MOUNTS)
    assert filesystem_type("/mnt/shared films/subs/.vidcap", str(table)) == "nfs4"
    assert filesystem_type("/mnt/shared films/scratch/x", str(table)) == "tmpfs"  # the deeper mount
    assert filesystem_type("/mnt/shared filmsX", str(table)) == "ext4"  # a name that only starts alike
    assert filesystem_type("/x", str(tmp_path / "none")) is None
    assert journal_mode(str(tmp_path)) == "wal"  # this machine's own disk
    assert journal_mode(str(tmp_path), sharded=True) == "delete"  # shards: nodes sharing OUTDIR
    assert journal_mode(str(tmp_path), "delete") == "delete" and journal_mode(str(tmp_path), "wal", True) == "wal"


def _mode(path):
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        db.close()


def test_shards_on_two_nodes_share_one_output_folder(tmp_path, good_clips, capsys):
    """Two shard processes at once over one OUTDIR, as a Slurm array puts them on two nodes: each
    its own lock and journal, in rollback mode (no WAL), and `vidcap status` reads both."""
    src, out = make_folder(tmp_path / "films", good_clips, bad=False), tmp_path / "subs"
    runs = [subprocess.Popen([sys.executable, "-m", "vidcap", "batch", str(src), "-o", str(out), "--shard", shard,
                              "--workers", "1", "--narrator", "rules"], stderr=subprocess.PIPE, text=True)
            for shard in ("0/2", "1/2")]
    for run in runs:
        assert run.wait(timeout=300) == 0, run.stderr.read()
        run.stderr.close()
    journals = sorted((out / ".vidcap").glob("journal*"))
    assert [p.name for p in journals] == ["journal-shard-0-of-2.sqlite", "journal-shard-1-of-2.sqlite"]
    assert [_mode(p) for p in journals] == ["delete", "delete"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.srt")) == ["one.srt", "sub/three.srt", "two.srt"]
    main(["status", str(out)])
    assert "3 videos: 3 done, 0 failed" in capsys.readouterr().out
    code, err = batch(capsys, src, "-o", out, "--journal-mode", "wal", "--narrator", "rules")
    assert code == 0 and _mode(out / ".vidcap" / "journal.sqlite") == "wal"


def test_a_subtitle_file_made_by_hand_in_outdir_is_kept(tmp_path, good_clips, capsys):
    """`batch films/ -o films/` beside a describer's own one.srt: it is kept, said so, and the
    run exits 1 (that video has no output of vidcap's); the others are described; --force
    replaces it."""
    src = make_folder(tmp_path / "films", good_clips, bad=False)
    (src / "one.srt").write_text("1\n00:00:00,000 --> 00:00:02,000\nMade by hand.\n")
    code, err = batch(capsys, src, "-o", src, "--narrator", "rules")
    assert code == 1 and "kept    one.srt" in err, err
    assert (src / "one.srt").read_text().endswith("Made by hand.\n")
    assert (src / "two.srt").exists() and (src / "sub" / "three.srt").exists()
    main(["status", str(src)])  # the journal says so too, and the batch's page
    table = capsys.readouterr().out
    assert "3 videos: 2 done, 0 failed, 0 running or interrupted, 1 kept" in table
    assert re.search(r"one\.srt\s+kept .*--force replaces it", table), table
    main(["report", str(src)])
    capsys.readouterr()
    assert '<tr class="video kept">' in (src / "report.html").read_text()
    code, err = batch(capsys, src, "-o", src, "--narrator", "rules")  # kept again: the journal knows it now
    assert code == 1 and "kept    one.srt" in err and (src / "one.srt").read_text().endswith("Made by hand.\n")
    assert batch(capsys, src, "-o", src, "--narrator", "rules", "--force")[0] == 0
    assert "Made by hand." not in (src / "one.srt").read_text()
