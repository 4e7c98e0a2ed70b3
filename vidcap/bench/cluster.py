"""`make bench-cluster`: batch throughput on a local multi-node Ray cluster (ray.cluster_utils:
a head and worker nodes as separate raylets on this machine) with 1, 2 and 3 nodes of 2 logical
CPUs each, over `make bench-batch`'s folder (20 copies of the sample clips, 5 bad files), the
analysis cache off. The nodes share this machine's cores: on a 2-core machine more nodes add
scheduling, not compute; the numbers say what the cluster machinery costs."""

import argparse
import os
import shutil
import time

from ..batch.batch import run_batch
from ..batch.journal import Journal, journal_path
from ..pipeline import Options
from .batch import batch_folder

NODE_CPUS = 2


def main():
    from ray.cluster_utils import Cluster

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", default="bench")
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    films = batch_folder(os.path.join(args.folder, "batch-films"))
    rows = []
    for count in args.nodes:
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": NODE_CPUS, "include_dashboard": False})
        for _ in range(count - 1):
            cluster.add_node(num_cpus=NODE_CPUS)
        cluster.wait_for_nodes()
        out = os.path.join(args.folder, f"cluster-out-{count}")
        shutil.rmtree(out, ignore_errors=True)
        try:
            start = time.perf_counter()
            code = run_batch([films], out, Options(use_cache=False), engine="ray", address=cluster.address)
            wall = time.perf_counter() - start
        finally:
            cluster.shutdown()
        journal = Journal(journal_path(out), readonly=True)
        entries = journal.entries()
        journal.close()
        done = [e for e in entries if e.status == "done"]
        rows.append((count, wall, len(done), len(entries) - len(done), code))
    print(f"{'nodes':>5}  {'wall s':>7}  {'done':>4}  {'failed':>6}  {'videos/min':>10}  exit")
    for count, wall, done, failed, code in rows:
        print(f"{count:>5}  {wall:>7.1f}  {done:>4}  {failed:>6}  {60 * done / wall:>10.1f}  {code}")


if __name__ == "__main__":
    main()
