"""`vidcap batch --engine ray` on a real multi-node Ray cluster: Ray's own test cluster
(ray.cluster_utils.Cluster) starts a head and worker nodes as separate raylets on this machine,
each with its own processes, as a cluster of several machines has; nodes are removed mid-batch."""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import srt

from vidcap.batch import batch as batch_module
from vidcap.cli import main
from vidcap.learning import synth
from vidcap.narration.writers import PARTIAL_FILE
from test_speech import spoken_clip  # noqa: F401 (a fixture)

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

NODE_CPUS = 2  # logical CPUs per node; the nodes share this machine's cores


@pytest.fixture(scope="module")
def cluster():
    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": NODE_CPUS, "include_dashboard": False})
    for _ in range(2):
        nodes.add_node(num_cpus=NODE_CPUS)
    nodes.wait_for_nodes()
    yield nodes
    nodes.shutdown()


@pytest.fixture(scope="module")
def films(tmp_path_factory):
    """Six short title cards, one folder."""
    folder = tmp_path_factory.mktemp("films")
    for i in range(6):
        card = synth.text_card([f"REEL {i + 1}"], (320, 240), font_size=30)
        synth.make_drawn_video(str(folder / f"reel{i + 1}.mp4"), lambda n, t, card=card: card, 40)
    return folder


def rows(out):
    db = sqlite3.connect(out / ".vidcap" / "journal.sqlite")
    try:
        return {r[0]: r[1:] for r in db.execute("SELECT output, status, attempts, error FROM videos")}
    finally:
        db.close()


def done_events(out):
    lines = (out / ".vidcap" / "log.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == "video_done"]


def run_batch(capsys, films, out, cluster, *extra):
    code = main(["batch", str(films), "-o", str(out), "--engine", "ray", "--address", cluster.address,
                 "--narrator", "rules", *extra])
    return code, capsys.readouterr().err


def test_a_folder_on_three_nodes(cluster, films, tmp_path, capsys, monkeypatch):
    written = []
    write = batch_module.write_output
    monkeypatch.setattr(batch_module, "write_output", lambda outdir, job, *a: (written.append(job.output), write(outdir, job, *a)))
    out = tmp_path / "subs"
    code, err = run_batch(capsys, films, out, cluster)
    assert code == 0, err
    assert "with 3 ray worker(s)" in err  # one per node: 6 CPUs, 2 each
    assert {k: v[:2] for k, v in rows(out).items()} == {f"reel{i}.srt": ("done", 1) for i in range(1, 7)}
    # Every output came from the driver (actors only return text), once each.
    assert sorted(written) == sorted(p.name for p in out.glob("*.srt")) == sorted(rows(out))
    for path in out.glob("*.srt"):
        assert list(srt.parse(path.read_text()))[0].content.startswith('Title in white: "REEL')
    nodes = {e["worker"].rsplit("Ray node ", 1)[1] for e in done_events(out)}
    assert len(nodes) >= 2, nodes


def test_a_node_removed_mid_batch(cluster, films, tmp_path, capsys):
    """The node goes while its actor describes a video: that video is done on another node, once;
    nothing is lost, and the batch ends with exit status 0."""
    doomed = cluster.add_node(num_cpus=NODE_CPUS)
    cluster.wait_for_nodes()
    out = tmp_path / "subs"
    removed = threading.Event()

    def remove_when_all_are_busy():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if sum(r[0] == "running" for r in rows(out).values()) >= 4:  # every actor holds a video
                    break
            except (sqlite3.Error, FileNotFoundError):
                pass
            time.sleep(0.05)
        cluster.remove_node(doomed)
        removed.set()

    killer = threading.Thread(target=remove_when_all_are_busy)
    killer.start()
    try:
        code, err = run_batch(capsys, films, out, cluster, "--workers", "4")
    finally:
        killer.join()
    assert removed.is_set()
    assert code == 0, err
    journal = rows(out)
    assert [v[0] for v in journal.values()] == ["done"] * 6, journal
    assert sorted(e["output"] for e in done_events(out)) == sorted(journal)  # each done once
    assert any(v[1] == 2 for v in journal.values()), journal  # the lost node's video, started again


def test_the_driver_killed_mid_batch_resumes_from_the_journal(cluster, films, tmp_path, capsys):
    out = tmp_path / "subs"
    driver = subprocess.Popen([sys.executable, "-m", "vidcap", "batch", str(films), "-o", str(out), "--engine", "ray",
                               "--address", cluster.address, "--workers", "2", "--narrator", "rules"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and driver.poll() is None:
        try:
            if any(r[0] == "done" for r in rows(out).values()):
                break
        except (sqlite3.Error, FileNotFoundError):
            pass
        time.sleep(0.05)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    before = {k for k, v in rows(out).items() if v[0] == "done"}
    assert before and len(before) < 6
    code, err = run_batch(capsys, films, out, cluster)
    assert code == 0, err
    after = rows(out)
    assert all(v[0] == "done" for v in after.values()) and len(after) == 6
    assert all(after[k][1] == 1 for k in before)  # what was done is not done again
    assert not [p for p in out.iterdir() if PARTIAL_FILE.match(p.name)] and len(list(out.glob("*.srt"))) == 6


def test_dialogue_on_the_cluster(cluster, spoken_clip, tmp_path, capsys):
    """--content both is carried to the actors: the dialogue comes back from a Ray worker."""
    films = tmp_path / "films"
    films.mkdir()
    shutil.copyfile(spoken_clip, films / "spoken.mp4")
    out = tmp_path / "subs"
    code, err = run_batch(capsys, films, out, cluster, "--content", "both", "--workers", "1")
    assert code == 0, err
    said = (out / "spoken.srt").read_text().lower()
    assert "train" in said and "station" in said and "Ray node" in done_events(out)[0]["worker"]
