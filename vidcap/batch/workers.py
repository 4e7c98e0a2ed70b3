"""Batch workers: describing one video in a process that loaded its models once, and the two
engines that run such workers: a pool of local processes, or actors on a Ray cluster. Workers
only compute; the driver writes every output and journal entry (see batch/batch.py)."""

import os
import queue
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache

from ..errors import BadVideo, VidcapError
from ..analysis.features import cpu_cores, set_threads
from ..pipeline import Options


@dataclass(frozen=True)
class Job:
    source: str  # absolute path of the video
    output: str  # output path relative to OUTDIR
    format: str  # srt, vtt, json or html
    options: Options
    report: bool = False  # also the review page, beside the output
    outdir: str = ""  # absolute: where the review page's links start from


@dataclass
class Outcome:
    ok: bool
    text: str = ""  # the whole output file
    page: str = ""  # the review page, when the job asked for one
    error: str = ""
    permanent: bool = False  # the input itself is bad
    sha256: str = ""
    seconds: float = 0.0
    duration: float = 0.0
    shots: int = 0
    cues: int = 0
    worker: str = ""


@lru_cache(maxsize=4)
def _encoder(name: str):
    from ..analysis.features import load_encoder

    return load_encoder(name)


@lru_cache(maxsize=4)
def _narrator(name: str):
    from ..narration.narrator import get_narrator

    return get_narrator(name)


def describe_job(job: Job, reports=None) -> Outcome:
    """One video to the text of its output file; every failure comes back as an Outcome. Progress
    goes as (output, seconds, duration) to `reports`, a queue, when given."""
    from ..cache import file_digest
    from ..pipeline import describe_video
    from ..narration.writers import get_writer

    start = time.monotonic()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    last = [0.0]

    def progress(seconds: float, duration: float | None):
        now = time.monotonic()
        if reports is not None and now - last[0] >= 0.5:
            last[0] = now
            try:
                reports.put_nowait((job.output, seconds, duration))
            except Exception:  # a full or closed progress queue must never fail a video
                pass

    try:
        result = describe_video(job.source, job.options, _encoder(job.options.encoder),
                                _narrator(job.options.narrator), progress)
        sha256 = file_digest(job.source)  # already taken for the analysis cache, unless it is off
        target = os.path.join(job.outdir, job.output)
        text = get_writer(job.format, target).format(result)
        page = get_writer("html", review_page(target)).format(result) if job.report else ""
    except BadVideo as e:
        return Outcome(False, error=str(e), permanent=True, seconds=time.monotonic() - start, worker=worker)
    except Exception as e:  # anything else may pass (memory, a full disk): retried later
        error = str(e) if isinstance(e, VidcapError) else f"{type(e).__name__}: {e}"
        return Outcome(False, error=error, seconds=time.monotonic() - start, worker=worker)
    return Outcome(True, text, page, sha256=sha256, seconds=time.monotonic() - start,
                   duration=result.duration, shots=result.shot_count, cues=len(result.cues), worker=worker)


def review_page(output: str) -> str:
    """Where a job's review page goes: beside its output, named after it (film.srt: film.html)."""
    return os.path.splitext(output)[0] + ".html"


def default_workers() -> int:
    """One worker per two cores: each keeps ffmpeg decoding and the CNN busy at once."""
    return max(1, cpu_cores() // 2)


_reports: "queue.Queue | None" = None


def _start_worker(threads: int, reports):
    import signal

    global _reports
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C
    set_threads(threads)
    _reports = reports


def _died(error: BaseException) -> str:
    if isinstance(error, BrokenProcessPool):
        return "the worker process died (killed, crashed or out of memory)"
    return f"{type(error).__name__}: {error}"


def _run_in_worker(job: Job) -> Outcome:
    return describe_job(job, _reports)


class LocalEngine:
    """`workers` processes on this machine, each loading the models once."""

    name = "local"

    def __init__(self, workers: int | None = None):
        import multiprocessing

        self.workers = workers or default_workers()
        self.context = multiprocessing.get_context("spawn")  # never fork a process holding torch threads
        self.reports = self.context.Queue(maxsize=1000)

    def _pool(self) -> ProcessPoolExecutor:
        threads = max(1, cpu_cores() // self.workers)
        return ProcessPoolExecutor(self.workers, mp_context=self.context, initializer=_start_worker,
                                   initargs=(threads, self.reports))

    def run(self, jobs: Iterable[Job], on_start: Callable[[Job], None]) -> Iterator[tuple[Job, Outcome]]:
        """Results as they finish, never more than `workers` jobs in flight (so the journal's
        'running' means running). A worker that dies (killed, out of memory) fails only the
        jobs it may have held, and a fresh pool goes on."""
        pending = iter(jobs)
        pool = self._pool()
        running: dict = {}
        try:
            while True:
                while len(running) < self.workers and (job := next(pending, None)) is not None:
                    on_start(job)
                    running[pool.submit(_run_in_worker, job)] = job
                if not running:
                    return
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                broken = False
                for future in finished:
                    job, error = running.pop(future), future.exception()
                    broken |= isinstance(error, BrokenProcessPool)
                    yield job, future.result() if error is None else Outcome(False, error=_died(error))
                if broken:  # the pool is unusable: what it still held is lost, a new one goes on
                    for job in running.values():
                        yield job, Outcome(False, error=_died(BrokenProcessPool()))
                    running.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = self._pool()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def poll_report(self, timeout: float):
        try:
            return self.reports.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self):
        self.reports.close()


class _RayDescriber:
    """A Ray actor holding the models: it describes videos one after another."""

    def __init__(self, reports):
        self.reports = reports

    def ready(self) -> bool:
        return True

    def describe(self, job: Job) -> Outcome:
        import ray

        outcome = describe_job(job, self.reports)
        outcome.worker += f" on Ray node {ray.get_runtime_context().get_node_id()[:12]}"
        return outcome


def _check_reachable(address: str, timeout: float = 10.0):
    """Fail in seconds, not after Ray's minutes of retries, when a cluster address is wrong."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "auto" and the like: Ray finds the cluster itself
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as e:
        raise VidcapError(f"cannot reach the Ray cluster at {address}: {e.strerror or e}") from None


LOST_TRIES = 3  # workers a video may lose (node gone, process killed) before it counts as failed
START_TIMEOUT = 120.0  # seconds a replacement worker may take to start where no other is left


class RayEngine:
    """The same job on a Ray cluster: one actor per worker, each with its share of the CPUs and,
    where the cluster has GPUs, of a GPU. Videos are read by path, so the cluster's nodes must
    see the input folders at the same paths (shared storage); outputs come back to the driver."""

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None):
        try:
            import ray
            from ray.util.queue import Queue
        except ImportError:
            raise VidcapError("--engine ray needs Ray: pip install 'vidcap[ray]'") from None

        self.owns_ray = not ray.is_initialized()
        if self.owns_ray:
            if address:
                _check_reachable(address)
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False,
                         configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise VidcapError(f"cannot start or reach Ray{' at ' + address if address else ''}: {e}") from None
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        resources = ray.cluster_resources()
        cpus, gpus = resources.get("CPU", 1), resources.get("GPU", 0)
        largest = max((n["Resources"].get("CPU", 0) for n in ray.nodes() if n["Alive"]), default=cpus)
        self.workers = workers or max(1, int(cpus // 2))
        threads = max(1, int(min(cpus // self.workers, largest)))  # an actor runs on one node
        # Progress reports go through a queue on the driver's own node, which no lost node takes with it.
        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=True)
        self.reports = Queue(maxsize=1000, actor_options={"num_cpus": 0, "scheduling_strategy": here})
        # No restarts by Ray: an actor whose node went is replaced by run() wherever there is room,
        # and the video it held goes to another worker.
        self.describer = ray.remote(_RayDescriber).options(
            max_restarts=0, num_cpus=threads, num_gpus=min(1.0, gpus / self.workers) if gpus else 0,
            runtime_env={"env_vars": {"VIDCAP_THREADS": str(threads)}})
        self.actors = [self.describer.remote(self.reports) for _ in range(self.workers)]
        self.ray = ray

    def run(self, jobs: Iterable[Job], on_start: Callable[[Job], None]) -> Iterator[tuple[Job, Outcome]]:
        """Results as they finish. A video whose worker is lost (its node left the cluster, its
        process was killed) goes to another worker, up to LOST_TRIES workers in all, and is not
        a failure of the video; a replacement worker starts wherever the cluster has room. Videos
        left when no worker is left, nor can start within START_TIMEOUT, fail (a later run redoes them)."""
        ray = self.ray
        todo = deque(jobs)
        idle = list(self.actors)
        running: dict = {}  # task -> (job, actor)
        starting: dict = {}  # ready() call -> replacement actor
        lost: dict[str, int] = {}
        while todo or running:
            while idle and todo:
                job = todo.popleft()
                on_start(job)
                actor = idle.pop()
                running[actor.describe.remote(job)] = (job, actor)
            waiting = list(running) + list(starting)
            finished = ray.wait(waiting, num_returns=1, timeout=None if running else START_TIMEOUT)[0] if waiting else []
            if not finished:  # work left and no worker to do it
                for job in todo:
                    on_start(job)
                    yield job, Outcome(False, error="no Ray worker left to describe it (nodes lost?)")
                return
            ref = finished[0]
            if ref in starting:
                actor = starting.pop(ref)
                try:
                    ray.get(ref)
                    idle.append(actor)
                except ray.exceptions.RayError:
                    self._drop(actor)
                continue
            job, actor = running.pop(ref)
            try:
                outcome = ray.get(ref)
                idle.append(actor)
            except ray.exceptions.RayActorError:  # the worker is gone, not the video's fault
                self._drop(actor)
                replacement = self.describer.remote(self.reports)
                self.actors.append(replacement)
                starting[replacement.ready.remote()] = replacement
                lost[job.output] = lost.get(job.output, 0) + 1
                if lost[job.output] < LOST_TRIES:
                    todo.appendleft(job)
                    continue
                outcome = Outcome(False, error=f"its Ray worker was lost {LOST_TRIES} times (nodes down or processes killed)")
            except ray.exceptions.RayError as e:
                outcome = Outcome(False, error=f"Ray worker failed: {type(e).__name__}")
                idle.append(actor)
            yield job, outcome

    def _drop(self, actor):
        self.actors.remove(actor)
        try:
            self.ray.kill(actor)
        except Exception:  # already gone with its node
            pass

    def poll_report(self, timeout: float):
        from ray.util.queue import Empty

        try:
            return self.reports.get(timeout=timeout)
        except Empty:
            return None
        except self.ray.exceptions.RayError:  # progress is lost with the queue; the batch is not
            time.sleep(timeout)
            return None

    def close(self):
        for actor in [*self.actors, self.reports.actor]:
            try:
                self.ray.kill(actor)
            except Exception:  # already gone with its node
                pass
        if self.owns_ray:
            self.ray.shutdown()
