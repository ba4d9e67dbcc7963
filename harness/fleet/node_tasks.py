"""The two Ray tasks a node runs. ``max_calls=1``: every call gets a fresh worker process, as every Phase B run
gets a fresh process on one host; ``max_retries=0``: a lost node or worker is the head's to record and retry
(once, elsewhere), not Ray's to repeat silently."""

from __future__ import annotations

import ray

from harness.fleet import node_work


@ray.remote(max_calls=1, max_retries=0, num_cpus=0)
def set_up_node(job: dict, frames, weights) -> dict:
    return node_work.set_up(job, frames, weights)


@ray.remote(max_calls=1, max_retries=0, num_cpus=0)
def measure_run(job: dict, run: dict) -> dict:
    return node_work.measure(job, run)
