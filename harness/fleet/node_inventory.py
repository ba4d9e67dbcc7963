"""Which nodes of a Ray cluster are which device: read from the custom resources each node advertised at
``ray start --resources='{"jb-device:<profile>": <slots>}'``. Pure functions over ``ray.nodes()`` records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

RESOURCE_PREFIX = "jb-device:"


def device_resource(profile_name: str) -> str:
    return f"{RESOURCE_PREFIX}{profile_name}"


@dataclass(frozen=True)
class FleetNode:
    node_id: str
    address: str
    profile: str
    slots: int        # runs this node takes at once: its boards / GPUs (one run per device)
    gpus: int         # GPUs Ray counts on the node (0 on a Jetson, where Ray sees none)

    def describe(self) -> str:
        return f"{self.profile} node {self.address} ({self.node_id[:8]})"


def advertised_profile(resources: dict) -> tuple:
    """(profile name, slots) of one node's resources, or (None, 0) when it advertises none; two profiles on one
    node is refused (a run must know which device it measured)."""
    names = [key[len(RESOURCE_PREFIX):] for key in resources if key.startswith(RESOURCE_PREFIX)]
    if not names:
        return None, 0
    if len(names) > 1:
        raise ValueError(f"advertises several device profiles ({', '.join(sorted(names))}); one per node")
    return names[0], int(resources[device_resource(names[0])])


def fleet_nodes(ray_nodes: list) -> tuple:
    """(the alive nodes that advertise a profile, one line per node that was left out and why)."""
    nodes, notes = [], []
    for record in ray_nodes:
        if not record.get("Alive", record.get("alive")):
            continue
        resources = record.get("Resources") or {}
        address = record.get("NodeManagerAddress", "?")
        try:
            profile, slots = advertised_profile(resources)
        except ValueError as exc:
            notes.append(f"node {address}: {exc}")
            continue
        if profile is None:
            continue  # e.g. a head that only schedules: not a measuring device
        nodes.append(FleetNode(record["NodeID"], address, profile, slots, int(resources.get("GPU", 0))))
    return nodes, notes


def nodes_of(nodes: list, profile: str) -> list:
    return [n for n in nodes if n.profile == profile]


def chosen_profiles(nodes: list, wanted: list) -> list:
    """The profiles to measure on: every advertised one for ``all``, else the ones asked for, in order."""
    present = sorted({n.profile for n in nodes})
    if wanted in ([], ["all"]):
        return present
    return list(dict.fromkeys(wanted))


def lost_nodes(before: list, after: list, profile: Optional[str] = None) -> list:
    """Nodes alive in ``before`` and gone from ``after`` (of ``profile`` when given)."""
    alive = {n.node_id for n in after}
    return [n for n in before if n.node_id not in alive and (profile is None or n.profile == profile)]


def pinned_node(usable: list, alive: list, turn: int):
    """Where a run must go when Ray's own choice could pick a node that was not set up for the job (one refused its
    profile, failed Phase A, or joined later): the usable alive nodes in turn. None when every alive node of the
    profile is usable, so Ray balances the runs over them by their free device slots."""
    alive_ids = {n.node_id for n in alive}
    ready = [n for n in usable if n.node_id in alive_ids]
    if not ready or {n.node_id for n in ready} == alive_ids:
        return None
    return ready[turn % len(ready)]
