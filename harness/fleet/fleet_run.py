"""The head's parent process under --cluster: frames once on the head, Phase A on every node of every chosen
profile, then every pending run as a Ray task on a node of its profile (one run per device at a time), each
result written here atomically as it arrives. Never imports torch; Ray is imported by ray_connection."""

from __future__ import annotations

import hashlib
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.hardware.device_profiles import load_profile
from harness.errors import UserError
from harness.fleet.head_frames import frames_shipment, head_setup_options, weights_shipment
from harness.fleet.node_inventory import (chosen_profiles, device_resource, fleet_nodes, lost_nodes, nodes_of,
                                          pinned_node)
from harness.fleet.task_ending import retryable, task_failure
from harness.process.child_environment import user_omp_num_threads
from harness.records.measurement_request import measurement_settings, validity_requirements
from harness.parent.console import status_line
from harness.parent.reuse import reuse_decision
from harness.parent.run_records import planned_skip_result
from harness.parent.setup_phase import check_one_dataset, run_setup_phase
from harness.records.results import STATUS_FAILED, new_result, read_result, result_path, write_result
from harness.records.run_identity import run_identity
from harness.records.planned_run import PlannedRun

STALL_CHECK_S = 5.0
# Ray fails the tasks that were running on a vanished node within its health-check window (about 15 s); a run
# still waiting after this long with no node of its profile alive never started, and never will.
ORPHAN_GRACE_S = 25.0


def portable(value, node_root: str):
    """An identity with the node's own work folder written as ``<node>``: where a node keeps its artifacts is not
    how they were measured (their hashes are in the identity), so a rerun on a node under a new folder reuses."""
    if isinstance(value, dict):
        return {k: portable(v, node_root) for k, v in value.items()}
    if isinstance(value, list):
        return [portable(v, node_root) for v in value]
    if isinstance(value, str) and node_root and value.startswith(node_root):
        return "<node>" + value[len(node_root):]
    return value


def fleet_run_id(run_id: str, profile: str) -> str:
    return f"{run_id}__on-{profile}"


def job_key(out_dir: Path) -> str:
    """Names the nodes' work folders: the same command from the same head reuses them (engines included)."""
    return hashlib.sha1(f"{socket.gethostname()}:{out_dir.resolve()}".encode()).hexdigest()[:12]


@dataclass
class Pending:
    profile: str
    fleet_id: str
    run: dict
    attempt: int = 0
    nodes_at_submit: list = field(default_factory=list)
    failures: list = field(default_factory=list)


def fleet_result(result: dict, pending: Pending, node: dict, timing: dict) -> dict:
    """A node's result as the head stores it: under its fleet run id, with the node, device and times."""
    result = dict(result, run_id=pending.fleet_id, run=dict(result.get("run") or {}, run_id=pending.fleet_id))
    result["fleet"] = {"profile": pending.profile, **(node or {}), "attempt": pending.attempt + 1,
                       "previous_attempts": pending.failures, **timing}
    return result


def failed_result(pending: Pending, status: str, reason: str, evidence: dict) -> dict:
    result = new_result(PlannedRun.from_dict(pending.run), status, pending.run["identity"], reason)
    result["evidence"] = evidence
    result["process"] = {"phase": "fleet head", "pid": None}
    return fleet_result(result, pending, None, {})


class Fleet:
    def __init__(self, opts, out_dir: Path, log_file, console):
        from harness.fleet.ray_connection import connect

        self.opts, self.out_dir, self.log_file, self.console = opts, out_dir, log_file, console
        self.ray = connect(opts.cluster)
        self.nodes, notes = fleet_nodes(self.ray.nodes())
        for note in notes:
            console.say(f"fleet: {note}")
        self.profiles = self._profiles()
        self.job_key = job_key(out_dir)
        self.dead_since: dict = {}
        self.usable: dict = {}  # profile -> the nodes whose Phase A succeeded for this job
        self.turn = 0

    def _profiles(self) -> dict:
        wanted = chosen_profiles(self.nodes, self.opts.devices)
        profiles = {}
        for name in wanted:
            try:
                profile = load_profile(name)
            except UserError:
                raise UserError(f"--devices: {name!r} is not a built-in device profile or a profile JSON file; a node "
                                f"advertising {device_resource(name)} needs its profile's file given to --devices") from None
            if not nodes_of(self.nodes, profile["name"]):
                self.console.say(f"fleet: no node advertises {device_resource(profile['name'])}: its runs are not planned")
                continue
            profiles[profile["name"]] = profile
        if not profiles:
            raise UserError(f"--cluster {self.opts.cluster}: no node advertises a wanted device profile "
                            f"({', '.join(wanted) or 'none advertised'}; see docs/fleet.md for the ray start lines)")
        return profiles

    def job(self, profile: dict) -> dict:
        return {"options": self.opts.to_dict(), "profile": profile, "fleet_dir": self.opts.fleet_dir,
                "job_key": self.job_key, "measurement": measurement_settings(self.opts),
                "validity": validity_requirements(self.opts), "user_omp_num_threads": user_omp_num_threads()}

    def task_options(self, profile: str, node=None) -> dict:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        gpus = 1 if all(n.gpus for n in nodes_of(self.nodes, profile)) else 0
        options = {"resources": {device_resource(profile): 1}, "num_gpus": gpus}
        if node is not None:
            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node.node_id, soft=False)
        return options

    def set_up(self, frames, weights) -> dict:
        """Phase A on every node of every profile, in parallel; {profile: [setup of each node that took it]}."""
        from harness.fleet.node_tasks import set_up_node

        frames_ref, weights_ref = self.ray.put(frames), self.ray.put(weights)
        calls = {}
        for name, profile in self.profiles.items():
            for node in nodes_of(self.nodes, name):
                ref = set_up_node.options(**self.task_options(name, node)).remote(self.job(profile), frames_ref,
                                                                                   weights_ref)
                calls[ref] = node
        setups: dict = {}
        for ref, node in calls.items():
            try:
                answer = self.ray.get(ref)
            except self.ray.exceptions.RayError as exc:
                self.console.say(f"fleet: {node.describe()} left during setup ({type(exc).__name__}): not used")
                continue
            if answer.get("setup"):
                setups.setdefault(node.profile, []).append(answer["setup"])
                self.usable.setdefault(node.profile, []).append(node)
                self.console.say(f"fleet: {node.describe()}: Phase A done on the node")
            else:
                why = answer.get("refused") or answer.get("error")
                self.console.say(f"fleet: {node.describe()} not used: {why}")
        if not setups:
            raise UserError("no node of the fleet could be set up (reasons above; node logs: <fleet_dir>/node-*/)")
        return setups

    def alive(self) -> list:
        return fleet_nodes(self.ray.nodes())[0]

    def submit(self, pending: Pending):
        from harness.fleet.node_tasks import measure_run

        pending.nodes_at_submit = nodes_of(self.alive(), pending.profile)
        node = pinned_node(self.usable.get(pending.profile, []), pending.nodes_at_submit, self.turn)
        self.turn += 1
        node_run = {**pending.run, "run_id": pending.run["node_run_id"]}
        return measure_run.options(**self.task_options(pending.profile, node)).remote(
            self.job(self.profiles[pending.profile]), node_run)

    def plan(self, setups: dict) -> list:
        """Every planned run of every profile under its fleet id, with the identity its node's setup gives it."""
        measurement = measurement_settings(self.opts)
        planned = []
        for profile, node_setups in setups.items():
            setup = node_setups[0]  # nodes of one profile are the same hardware: the first one's plan stands for all
            node_root = str(Path(setup["options"]["preprocessed_dir"]).parent)
            for run in setup["runs"]:
                identity = portable(run_identity(PlannedRun.from_dict(run), measurement, setup, "run"), node_root)
                planned.append(Pending(profile, fleet_run_id(run["run_id"], profile),
                                       {**run, "run_id": fleet_run_id(run["run_id"], profile),
                                        "node_run_id": run["run_id"], "identity": identity}))
        return planned

    def to_measure(self, planned: list) -> list:
        """What this command has to measure: runs without a reusable result here; planned skips are written now."""
        pending, total = [], len(planned)
        for index, item in enumerate(planned, 1):
            stored = read_result(result_path(self.out_dir, item.fleet_id))
            reuse, why = reuse_decision(stored, item.run["identity"], self.opts.force)
            if reuse:
                self.console.say(f"[{index}/{total}] {item.fleet_id}: result exists, reused (--force redoes it)")
                continue
            if why:
                self.console.say(f"[{index}/{total}] {item.fleet_id}: {why}")
            if item.run.get("skip_status"):
                write_result(self.out_dir, fleet_result(planned_skip_result(item.run), item, None, {}))
                continue
            pending.append(item)
        return pending

    def measure(self, pending: list) -> int:
        """Runs every pending item; returns how many results were written."""
        total, written = len(pending), 0
        flight = {self.submit(item): item for item in pending}
        while flight:
            ready, _ = self.ray.wait(list(flight), num_returns=1, timeout=STALL_CHECK_S)
            if not ready:
                written += self.drop_orphans(flight)
                continue
            item = flight.pop(ready[0])
            retry = self.collect(ready[0], item, written + 1, total)
            if retry is not None:
                flight[self.submit(retry)] = retry
            else:
                written += 1
        return written

    def collect(self, ref, item: Pending, index: int, total: int):
        """Writes the run's result; returns the item to submit again (once, after a lost node or worker)."""
        try:
            answer = self.ray.get(ref)
        except self.ray.exceptions.RayError as exc:
            status, reason, evidence = task_failure(exc, self.settled_losses(item))
            result = failed_result(item, status, reason, evidence)
            write_result(self.out_dir, result)  # recorded before any retry: a head that dies now loses nothing
            self.console.say(status_line(index, total, item.fleet_id, result))
            if retryable(reason) and item.attempt == 0 and nodes_of(self.alive(), item.profile):
                self.console.say(f"  retried once on another {item.profile} node")
                item.failures.append({"reason": reason, **evidence})
                item.attempt += 1
                return item
            return None
        if answer.get("error"):
            result = failed_result(item, STATUS_FAILED, answer["error"], {"node": answer.get("node")})
        else:
            result = fleet_result(answer["result"], item, answer.get("node"),
                                  {"started_at": answer["started_at"], "ended_at": answer["ended_at"]})
        write_result(self.out_dir, result)
        node = result["fleet"].get("address") or "?"
        self.console.say(status_line(index, total, f"{item.fleet_id} ({node})", result))
        return None

    def settled_losses(self, item: Pending) -> list:
        """The nodes of the item's profile that vanished since it was submitted; Ray may report a dead worker
        before its node is marked dead, so the node list is given its health-check window to settle."""
        deadline = time.monotonic() + ORPHAN_GRACE_S
        while True:
            lost = lost_nodes(item.nodes_at_submit, self.alive(), item.profile)
            if lost or time.monotonic() > deadline:
                return lost
            time.sleep(1.0)

    def drop_orphans(self, flight: dict) -> int:
        """Runs whose profile has had no alive node for ORPHAN_GRACE_S would wait forever: cancelled and recorded
        as failed."""
        alive = {n.profile for n in self.alive()}
        now = time.monotonic()
        for profile in {item.profile for item in flight.values()}:
            if profile in alive:
                self.dead_since.pop(profile, None)
            else:
                self.dead_since.setdefault(profile, now)
        dropped = 0
        for ref, item in list(flight.items()):
            if now - self.dead_since.get(item.profile, now) < ORPHAN_GRACE_S:
                continue
            self.ray.cancel(ref, force=False)
            flight.pop(ref)
            reason = f"not run: no node of profile {item.profile} is alive"
            write_result(self.out_dir, failed_result(item, STATUS_FAILED, reason, {"profile": item.profile}))
            self.console.say(f"{item.fleet_id}: failed {reason}")
            dropped += 1
        return dropped


def check_fleet_options(opts) -> None:
    for flag, bad in (("--skip_setup", opts.skip_setup), ("--skip_inference", opts.skip_inference),
                      ("--train", opts.train),
                      ("--isolation phase", opts.isolation == "phase"), ("--repeats", opts.repeats > 1),
                      ("--trtexec_check", opts.trtexec_check)):
        if bad:
            raise UserError(f"--cluster does not combine with {flag} (docs/fleet.md says what a fleet run does)")


def measure_on_fleet(opts, out_dir: Path, log_file, console) -> list:
    """The fleet's part of run_benchmark: returns the fleet ids this command covers."""
    check_fleet_options(opts)
    fleet = Fleet(opts, out_dir, log_file, console)
    console.say(f"fleet: {len(fleet.nodes)} node(s); profiles {', '.join(fleet.profiles)}")
    _, head_setup = run_setup_phase(head_setup_options(opts), out_dir, log_file, console)
    frames = frames_shipment(Path(opts.preprocessed_dir), opts.e2e)
    weights = weights_shipment(opts.weights_dir)
    console.say(f"fleet: shipping {frames.files} data file(s), {frames.mib:.1f} MiB (sha256 {frames.sha256[:12]})"
                + (f", {weights.files} weight file(s), {weights.mib:.1f} MiB" if weights else ""))
    check_one_dataset(out_dir, head_setup["dataset"]["fingerprint"], opts.force, console)
    planned = fleet.plan(fleet.set_up(frames, weights))
    fleet.measure(fleet.to_measure(planned))
    return [item.fleet_id for item in planned]
