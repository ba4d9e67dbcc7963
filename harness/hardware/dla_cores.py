"""--dla_core: which TensorRT runs go to a DLA core, and why one cannot. Pure data, no TensorRT.

The flag is a matrix dimension of the tensorrt backend only (``gpu,0,1``: the GPU alone, DLA core 0, DLA core 1,
each with GPU fallback for the layers the DLA cannot run); other backends are not multiplied by it. How many DLA
cores a board has is its device profile's ``dla_cores`` (AGX Orin and Orin NX 16 GB: 2, Orin Nano: 0, desktop GPUs
and CPUs: 0). A DLA run is ``skipped`` with the reason when the board has no such core, when the profile is emulated
on a GPU that is not the board, or when the precision is not one the DLA runs (fp16, int8).
"""

from __future__ import annotations

from typing import Optional

from harness.errors import UserError

GPU_ONLY = "gpu"
DLA_PRECISIONS = ("fp16", "int8")


def parse_dla_cores(raw) -> list:
    """``"gpu,0,1"`` -> ``[None, 0, 1]`` (None: the GPU alone), in the order given, without repeats."""
    cores = []
    for token in (part.strip().lower() for part in str(raw).split(",")):
        if not token:
            continue
        if token in (GPU_ONLY, "none"):
            value = None
        elif token.isdigit():
            value = int(token)
        else:
            raise UserError(f"--dla_core {raw}: use DLA core numbers (0, 1, ...) or gpu, comma-separated")
        if value not in cores:
            cores.append(value)
    if not cores:
        raise UserError("--dla_core is empty")
    return cores


def dla_capacity(memory: dict, device: dict) -> dict:
    """What the planner needs to know: the profile in force, its DLA cores (None: the profile does not say), whether
    this machine is the board itself, and the GPU's name (for the reason when it is not)."""
    profile = memory.get("profile") or {}
    cores = profile.get("dla_cores")
    return {"profile": memory.get("profile_name") or profile.get("name"), "cores": None if cores is None else int(cores),
            "on_board": bool(memory.get("jetson")), "gpu": device.get("name") or device.get("resolved")}


def _cores_text(cores: int) -> str:
    return "no DLA" if cores == 0 else f"{cores} DLA core{'s' if cores != 1 else ''} (0..{cores - 1})"


def dla_problem(precision: str, core: Optional[int], capacity: Optional[dict]) -> Optional[str]:
    """Why a tensorrt run cannot go to DLA core ``core`` here, or None (also for a GPU-only run)."""
    if core is None or capacity is None:
        return None
    name, cores = capacity.get("profile"), capacity.get("cores")
    if cores is None:
        return (f"profile {name} does not say how many DLA cores the board has (add \"dla_cores\" to it, as in "
                "harness/profiles/*.json)")
    if cores == 0:
        return f"{name} has no DLA"
    if core >= cores:
        return f"{name} has {_cores_text(cores)}; this run asks for DLA core {core}"
    if not capacity.get("on_board"):
        return (f"profile {name} is emulated on {capacity.get('gpu') or 'this machine'}: its DLA cores are on the "
                "board, not here")
    if precision not in DLA_PRECISIONS:
        return (f"DLA runs fp16 or int8 only: a {precision} engine for DLA core {core} is not built (TensorRT would "
                "put every layer on the GPU fallback)")
    return None


def missing_core(core: int, cores: int) -> Optional[str]:
    """Why DLA core ``core`` cannot be used where TensorRT reports ``cores`` of them (``num_DLA_cores`` of the builder
    or the runtime), or None."""
    if 0 <= int(core) < int(cores):
        return None
    have = "no DLA" if int(cores) == 0 else f"{cores} DLA core{'s' if int(cores) != 1 else ''}"
    return f"DLA core {core} was asked for; TensorRT reports {have} on this device"


def dla_label(core: Optional[int]) -> str:
    """The run id's and the engine file's token: ``dla0``, or "" for the GPU alone."""
    return "" if core is None else f"dla{core}"
