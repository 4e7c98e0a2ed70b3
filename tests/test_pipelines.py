"""The scheduling specs in pipelines/: each parses, and each one's command, run through a dry
`make -n`, reaches `vidcap batch` with the folders it names."""

import configparser
import os
import re
import shlex
import shutil
import subprocess

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINES = os.path.join(ROOT, "pipelines")
CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\d+(-\d+)?))*$")


def dry_make(args: list[str], cwd: str = ROOT, env: dict | None = None) -> str:
    """What `make ARGS` would run, in this checkout."""
    assert args[0].endswith("make")
    result = subprocess.run(["make", "-n", "-C", ROOT, *args[1:]], capture_output=True, text=True,
                            cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def check_cron_line(line: str) -> str:
    fields = line.split(None, 5)
    assert len(fields) == 6, line
    for field, (low, high) in zip(fields[:5], [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]):
        assert CRON_FIELD.match(field), field
        assert all(low <= int(n) <= high for n in re.findall(r"\d+", field.split("/")[0]))
    assert "%" not in fields[5]  # cron would turn it into a newline
    return fields[5]


def make_call(command: str) -> list[str]:
    """The `make batch ...` part of a shell command line."""
    words = shlex.split(command.split(">>")[0])
    start = next(i for i, w in enumerate(words) if w.endswith("make") and words[i + 1] == "batch")
    end = words.index("&&", start) if "&&" in words[start:] else len(words)
    return words[start:end]


def test_crontab_line_runs_make_batch():
    lines = [l for l in open(os.path.join(PIPELINES, "crontab")) if l.strip() and not l.startswith("#")]
    assert len(lines) == 1
    command = check_cron_line(lines[0].strip())
    assert "vidcap batch /srv/films -o /srv/subtitles" in dry_make(make_call(command))


def test_make_schedule_prints_a_crontab_line_for_this_checkout():
    out = subprocess.run(["make", "-s", "-C", ROOT, "schedule", "IN=/srv/films", "OUT=/srv/subs"],
                         capture_output=True, text=True, check=True).stdout.strip()
    command = check_cron_line(out)
    assert command.startswith(f"cd {ROOT} && ")
    assert "vidcap batch /srv/films -o /srv/subs" in dry_make(make_call(command))


def test_systemd_service_and_timer():
    service, timer = configparser.ConfigParser(), configparser.ConfigParser()
    service.read(os.path.join(PIPELINES, "vidcap-batch.service"))
    timer.read(os.path.join(PIPELINES, "vidcap-batch.timer"))
    assert service["Service"]["Type"] == "oneshot"
    assert "1" in service["Service"]["SuccessExitStatus"].split()  # some films failed: not a unit failure
    assert "vidcap batch /srv/films -o /srv/subtitles" in dry_make(shlex.split(service["Service"]["ExecStart"]))
    assert timer["Timer"]["Persistent"] == "true" and timer["Install"]["WantedBy"] == "timers.target"
    if shutil.which("systemd-analyze"):
        check = subprocess.run(["systemd-analyze", "calendar", timer["Timer"]["OnCalendar"]],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


def test_kubernetes_cronjob():
    spec = yaml.safe_load(open(os.path.join(PIPELINES, "cronjob.yaml")))
    assert (spec["apiVersion"], spec["kind"]) == ("batch/v1", "CronJob")
    assert spec["spec"]["concurrencyPolicy"] == "Forbid"
    check_cron_line(spec["spec"]["schedule"] + " true")
    pod = spec["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    container = pod["containers"][0]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/films", "/subtitles"} <= mounts
    assert {v["name"] for v in pod["volumes"]} == {m["name"] for m in container["volumeMounts"]}
    assert "vidcap batch /films -o /subtitles" in dry_make(container["command"])


def test_slurm_array_job_gives_each_task_its_shard(tmp_path):
    script = os.path.join(PIPELINES, "slurm-array.sbatch")
    directives = [l.split()[1] for l in open(script) if l.startswith("#SBATCH")]
    assert any(d.startswith("--array=0-") for d in directives)
    shim = tmp_path / "make"  # `make` as a dry run, so the script runs without Slurm
    shim.write_text(f'#!/bin/sh\nexec {shutil.which("make")} -n "$@"\n')
    shim.chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}", SLURM_SUBMIT_DIR=ROOT,
               SLURM_ARRAY_TASK_ID="2", SLURM_ARRAY_TASK_COUNT="4", IN="/shared/films", OUT="/shared/subs")
    result = subprocess.run(["bash", script], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "vidcap batch /shared/films -o /shared/subs --workers 2 --shard 2/4" in result.stdout


def test_gpu_check_gathers_its_parts_across_calls(tmp_path):
    """Each device call brings one part of pipelines/gpu-pack.sh's pack: the check keeps it, waits
    for the rest, and refuses parts that do not make the packed file."""
    shutil.copytree(PIPELINES, tmp_path / "pipelines")
    env = dict(os.environ, STORE=str(tmp_path / "store"), OUT=str(tmp_path / "out"))

    def call(part: str):
        (tmp_path / ".gpu").mkdir(exist_ok=True)
        for old in (tmp_path / ".gpu").iterdir():
            old.unlink()
        (tmp_path / ".gpu" / part).write_bytes(b"0" * 64 + b"\n" + part.encode())
        return subprocess.run(["bash", "pipelines/gpu-check.sh"], cwd=tmp_path, env=env, capture_output=True, text=True)

    first = call("part-1-of-2")
    assert first.returncode == 0 and "holds 1 of 2 parts" in first.stdout
    last = call("part-2-of-2")
    assert last.returncode == 1 and "SHA-256 differs" in last.stdout
