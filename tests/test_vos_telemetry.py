"""A video run opens its telemetry on the GPU it runs on (the CUDA device's uuid, as image runs do): NVML's device
order may differ from CUDA's."""

import types

import pytest

from harness.phase_b import run_watchers, video_executor
from harness.records.planned_run import PlannedRun, RunSpec


def test_the_uuid_is_the_run_devices_and_none_on_the_cpu():
    seen = []

    def properties(device):
        seen.append(str(device))
        return types.SimpleNamespace(uuid="6a3e-second")

    torch = types.SimpleNamespace(device=lambda name: name, cuda=types.SimpleNamespace(get_device_properties=properties))
    assert run_watchers.telemetry_uuid(torch, "cuda:1") == "GPU-6a3e-second" and seen == ["cuda:1"]
    assert run_watchers.telemetry_uuid(torch, "cpu") is None


def test_execute_vos_run_hands_the_uuid_to_telemetry(monkeypatch):
    opened = []

    class Stop(Exception):
        pass

    def telemetry(path, run_id, device, jetson, interval_s, cuda_uuid=None):
        opened.append(cuda_uuid)
        raise Stop

    monkeypatch.setattr(run_watchers, "RunTelemetry", telemetry)
    monkeypatch.setattr(run_watchers, "telemetry_uuid", lambda torch_module, device: f"GPU-of-{device}")
    with pytest.raises(Stop):
        video_executor.execute_vos_run(PlannedRun(RunSpec("sam2.1_hiera_tiny", "torch", "fp16", 1024, 1)), {}, None, {}, None, "cuda:1", identity=None)
    assert opened == ["GPU-of-cuda:1"]
