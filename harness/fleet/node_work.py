"""What a node does for the head, in a fresh Ray worker process each time (the tasks in node_tasks.py): check its
own profile, unpack what the head shipped, run Phase A there (engines and compiled artifacts are built on the
device that will run them and stay on that node), and run one Phase B process per run. The measurement itself is
always a child process of the worker, launched exactly as on one host, so Ray's worker is outside its figures."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from harness.files.atomic_io import atomic_write_json, read_json
from harness.fleet.folder_shipment import unpack
from harness.process.child_environment import USER_OMP_NUM_THREADS
from harness.process.launcher import run_phase
from harness.records.measurement_request import write_request
from harness.settings.options import Options
from harness.records.results import read_result, result_path

PLACEHOLDER = "@shipment/"


def _pointer(fleet_dir: str, job_key: str, node_id: str) -> Path:
    return Path(os.path.expanduser(fleet_dir)) / "by-node" / f"{node_id}-{job_key}"


def claim_workdir(fleet_dir: str, job_key: str, facts: dict):
    """This node's work folder for the job, and the lock that keeps it while Phase A runs. The folder is named by
    host and profile, so a board that rejoins under a new Ray node id (every ``ray start``) finds its engines again;
    a second node of the same profile on the same host (a test cluster) that finds it locked takes its own folder.
    The node id points at the folder for the node's runs."""
    import fcntl

    root = Path(os.path.expanduser(fleet_dir))
    for name in (f"{facts['hostname']}-{facts['profile']}", f"{facts['hostname']}-{facts['profile']}-{facts['node_id'][:12]}"):
        work = root / name / job_key
        work.mkdir(parents=True, exist_ok=True)
        lock = open(work / ".setup.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        pointer = _pointer(fleet_dir, job_key, facts["node_id"])
        pointer.parent.mkdir(parents=True, exist_ok=True)
        pointer.write_text(str(work))
        return work, lock
    raise RuntimeError(f"no free work folder under {root} for this node")


def node_workdir(fleet_dir: str, job_key: str, node_id: str):
    """The folder this node's Phase A used for the job, or None when the node was not set up for it."""
    pointer = _pointer(fleet_dir, job_key, node_id)
    return Path(pointer.read_text().strip()) if pointer.is_file() else None


def localized(value, root: Path):
    """The head's metadata with each shipped file's placeholder replaced by where it lies on this node."""
    if isinstance(value, dict):
        return {k: localized(v, root) for k, v in value.items()}
    if isinstance(value, list):
        return [localized(v, root) for v in value]
    if isinstance(value, str) and value.startswith(PLACEHOLDER):
        return str(root / value[len(PLACEHOLDER):])
    return value


def threads_as_on_one_host(job: dict) -> None:
    """Ray sets OMP_NUM_THREADS=1 in its workers (num_cpus=0 tasks too); a fleet's Phase A and B would then compute
    with one thread where the same command on one host uses the libraries' default. They get the OMP_NUM_THREADS
    the user gave the head ("" = none, as on one host); --threads applies in Phase B the same way on both."""
    os.environ[USER_OMP_NUM_THREADS] = job.get("user_omp_num_threads", "")


def keep_the_boards_gpu_visible() -> None:
    """A task that took no GPU from Ray (a Jetson: Ray counts no GPU there, the device slot is what we schedule by)
    may be handed CUDA_VISIBLE_DEVICES="" by older Ray versions, which would hide the board's GPU from Phase A and
    B and measure on the CPU. Such a task gets the node's own view back."""
    import ray

    if not ray.get_gpu_ids() and os.environ.get("CUDA_VISIBLE_DEVICES") == "":
        del os.environ["CUDA_VISIBLE_DEVICES"]


def node_facts(profile_name: str) -> dict:
    import ray

    gpu_ids = ray.get_gpu_ids()
    return {"node_id": ray.get_runtime_context().get_node_id(), "address": ray.util.get_node_ip_address(),
            "hostname": socket.gethostname(), "profile": profile_name, "worker_pid": os.getpid(),
            "gpu_ids": [str(g) for g in gpu_ids], "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}


def check_profile(profile: dict) -> str:
    from harness.hardware.device_profiles import read_platform_facts
    from harness.fleet.profile_match import profile_mismatch
    from harness.fleet.ray_connection import local_gpu_count

    return profile_mismatch(profile, read_platform_facts(), local_gpu_count() > 0)


def node_options(job: dict, work: Path, has_weights: bool) -> Options:
    atomic_write_json(work / "profile.json", job["profile"])
    data = dict(job["options"], preprocessed_dir=str(work / "pre"), out_dir=str(work / "out"),
                profile=str(work / "profile.json"), shipped_frames=True, cluster=None)
    if has_weights:
        data["weights_dir"] = str(work / "weights")
    return Options.from_dict(data)


def set_up(job: dict, frames, weights) -> dict:
    """Phase A on this node; returns its setup config, or why the node cannot take the job."""
    keep_the_boards_gpu_visible()
    threads_as_on_one_host(job)
    facts = node_facts(job["profile"]["name"])
    mismatch = check_profile(job["profile"])
    if mismatch:
        return {"node": facts, "refused": f"advertises {job['profile']['name']} but {mismatch}"}
    work, lock = claim_workdir(job["fleet_dir"], job["job_key"], facts)
    with lock:
        return _set_up_in(work, job, frames, weights, facts)


def _set_up_in(work: Path, job: dict, frames, weights, facts: dict) -> dict:
    unpack(frames, work / "pre")
    meta_path = work / "pre" / "metadata.json"
    atomic_write_json(meta_path, localized(read_json(meta_path), work / "pre"))
    if weights is not None:
        unpack(weights, work / "weights")
    opts = node_options(job, work, weights is not None)
    request = atomic_write_json(work / "phase_a_request.json", {"options": opts.to_dict()})
    with open(work / "node.log", "a", encoding="utf-8") as log:
        outcome = run_phase("harness.phase_a", ["--request", str(request)], opts.setup_timeout_s, log)
    if outcome.returncode != 0 or outcome.timed_out:
        event = outcome.last_event("user_error", "internal_error") or {}
        return {"node": facts, "error": event.get("message") or f"Phase A ended with {outcome.signal_name or outcome.returncode}",
                "log_tail": outcome.tail[-15:]}
    return {"node": facts, "setup": read_json(work / "pre" / "setup_config.json")}


def measure(job: dict, run: dict) -> dict:
    """One run in one fresh Phase B process on this node; the result as Phase B (or the dead-child record) wrote it."""
    from harness.parent.run_records import record_dead_child

    keep_the_boards_gpu_visible()
    threads_as_on_one_host(job)
    facts = node_facts(job["profile"]["name"])
    work = node_workdir(job["fleet_dir"], job["job_key"], facts["node_id"])
    started = time.time()
    if work is None or not (work / "pre" / "setup_config.json").is_file():
        return {"node": facts, "error": "this node has no setup for the job (it joined after the setup step)"}
    config = work / "pre" / "setup_config.json"
    own = {r["run_id"]: r for r in read_json(config)["runs"]}.get(run["run_id"])
    if own is None:
        return {"node": facts, "error": "this node's own setup did not plan the run"}
    run = {**own, "identity": run["identity"]}  # this node's artifact paths; the head's identity of the run
    run_out = work / "out" / run["run_id"]
    request = write_request(run_out, config, job["measurement"], [run], "run", False, validity=job["validity"])
    with open(work / "node.log", "a", encoding="utf-8") as log:
        outcome = run_phase("harness.phase_b", ["--request", str(request), "--run_id", run["run_id"]],
                            job["options"]["run_timeout_s"], log)
    result = read_result(result_path(run_out, run["run_id"])) or record_dead_child(run, outcome, run_out)
    return {"node": facts, "result": result, "started_at": started, "ended_at": time.time()}
