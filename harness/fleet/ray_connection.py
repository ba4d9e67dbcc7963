"""Connecting the head's parent process to Ray: an existing cluster by address, or ``local`` (a Ray instance on
this host that advertises this host's detected profile with one slot per GPU). The only file that decides how
Ray is started; Ray itself is imported only here and in the node tasks."""

from __future__ import annotations

import os

from harness.errors import UserError
from harness.fleet.node_inventory import device_resource

INSTALL_LINE = "--cluster needs Ray: pip install 'jetson-benchmark[fleet]' (or: pip install 'ray>=2.9')"


def import_ray():
    try:
        import ray
    except ImportError:
        raise UserError(INSTALL_LINE) from None
    return ray


def nvml_gpu_count() -> int:
    """NVIDIA GPUs the driver reports (0 without nvidia-ml-py or a driver, e.g. on a CPU host or a Jetson)."""
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            return int(pynvml.nvmlDeviceGetCount())
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # noqa: BLE001 - no NVML here means no NVIDIA GPU to schedule
        return 0


def local_gpu_count(present: int = None) -> int:
    """CUDA devices this process may use: the GPUs present (NVML; no torch in the parent), narrowed to those
    CUDA_VISIBLE_DEVICES lists when it is set."""
    present = nvml_gpu_count() if present is None else present
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return present
    return min(present, len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"]))


def local_profile_name(gpus: int) -> str:
    from harness.hardware.device_profiles import detect_profile, read_platform_facts

    return detect_profile(read_platform_facts(), gpus > 0)[0]["name"]


def start_private_instance(ray) -> None:
    """``--cluster local``: a new Ray instance of this command alone, even when another runs on this host or
    RAY_ADDRESS names one (address "local" never joins an existing instance), on ports Ray picks free. Ray serves
    it on the host's address, not 127.0.0.1 (it resolves loopback to a reachable address), so docs/fleet.md says
    how to keep it private: token authentication (on by default for a local instance since Ray 2.59)."""
    gpus = local_gpu_count()
    resources = {device_resource(local_profile_name(gpus)): max(gpus, 1)}
    ray.init(address="local", num_gpus=gpus, resources=resources, include_dashboard=False, log_to_driver=False,
             configure_logging=True, logging_level="warning")


def connect(address: str):
    """Returns the ray module, connected. ``local`` starts a private instance for this command."""
    ray = import_ray()
    quiet = {"log_to_driver": False, "configure_logging": True, "logging_level": "warning"}
    try:
        if address == "local":
            start_private_instance(ray)
        else:
            ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise UserError(f"--cluster {address}: cannot connect to Ray ({str(exc).splitlines()[0]})") from None
    return ray
