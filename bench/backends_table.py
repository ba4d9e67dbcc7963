"""The backend-modes table (docs/evidence/backend_modes_gpu.md), derived from result files: latency, throughput, fidelity and what each
artifact cost to prepare in Phase A.

    python bench/backends_table.py OUT_DIR [SETUP_CONFIG ...]

Phase A build time comes from the artifact's sidecar (ONNX export_s, engine build_s), from the setup
config's per-model ``prepare_s`` when the artifact is not on this machine, or, for torch_compile, from the
setup config's compile warm-up record of that run. A second table lists every artifact each given setup
config prepared and what it cost.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.files.artifact_sidecar import read_sidecar  # noqa: E402
from harness.records.results import load_results  # noqa: E402


def _fmt(value, digits=2):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e-2 and value != 0 else f"{value:.{digits}f}"
    return str(value)


def _prepare_key(run: dict) -> str:
    if run["backend"] == "onnxruntime":
        return f"onnx_{run['imgsz']}_{run['precision']}"
    return "checkpoint" if run["backend"] == "torch" else ""


def phase_a_cost(result: dict, setups: list) -> str:
    run = result["run"]
    if run["backend"] == "torch_compile":
        for setup in setups:
            warm = (setup.get("compile_warmup") or {}).get(result["run_id"])
            if warm and warm.get("wall_s"):
                return f"compile {warm['wall_s']:.1f} s (process)"
        return ""
    sidecar = read_sidecar(run["artifact"]) if run.get("artifact") else None
    if sidecar and sidecar.get("export_s") is not None:
        return f"ONNX export {sidecar['export_s']:.1f} s"
    if sidecar and sidecar.get("build_s") is not None:
        return f"engine build {sidecar['build_s']:.1f} s"
    for setup in setups:  # the artifact is not here (the table is made elsewhere): the setup's own record
        for model in setup.get("models") or []:
            seconds = (model.get("prepare_s") or {}).get(_prepare_key(run))
            if model.get("name") == run["model"] and seconds is not None:
                return f"{'ONNX export' if run['backend'] == 'onnxruntime' else 'checkpoint'} {seconds:.1f} s"
    return ""


def preparation_table(setups: list) -> None:
    """Every artifact each setup prepared, with Phase A's seconds for it."""
    print()
    print("| model | artifact | Phase A s | how |")
    print("|---|---|---|---|")
    for setup in setups:
        for model in setup.get("models") or []:
            for key, seconds in sorted((model.get("prepare_s") or {}).items()):
                how = ("random-init checkpoint from the architecture YAML" if key == "checkpoint" and model.get("builtin")
                       else "Ultralytics exporter, dynamic batch, simplified" if key.startswith("onnx_")
                       else "TensorRT build in a child process" if key.startswith("engine_") else "")
                print(f"| {model['name']} | {key} | {_fmt(seconds, 1)} | {how} |")
        for run_id, warm in sorted((setup.get("compile_warmup") or {}).items()):
            print(f"| {run_id.split('__')[0]} | torch.compile {run_id} | {_fmt(warm.get('wall_s'), 1)} | one-pass child "
                  f"process ({warm.get('outcome')}; compile {_fmt(warm.get('compile_s'), 1)} s of it) |")


def main() -> None:
    results = load_results(sys.argv[1])
    setups = [json.loads(Path(path).read_text()) for path in sys.argv[2:]]
    print("| model | backend | mode | precision | batch | p50 ms | p99 ms | img/s | fidelity max abs err | "
          "fidelity min cos | Phase B load s | Phase A preparation | runs on |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    key = lambda r: (r["run"]["model"], r["run"]["backend"], r["run_id"].count("__"), r["run"]["precision"], r["run"]["batch"])
    for r in sorted(results, key=key):
        run, m = r["run"], r.get("metrics") or {}
        mode = r["run_id"].split("__")[5] if r["run_id"].count("__") >= 5 else "eager" if run["backend"] == "torch" else ""
        if r.get("torch_settings", {}).get("cudnn_benchmark"):
            mode = (mode + ", " if mode else "") + "cudnn.benchmark"
        where = (r.get("runner") or {}).get("execution_device") or (r.get("runner") or {}).get("device") or ""
        providers = ",".join((r.get("runner") or {}).get("providers") or [])
        if r["status"] != "ok":
            print(f"| {run['model']} | {run['backend']} | {mode} | {run['precision']} | {run['batch']} | "
                  f"{r['status']}: {r.get('reason')} |||||||| ")
            continue
        load = _fmt(m.get("model_load_s"))
        if m.get("compile_s") is not None:
            load += f" (compile {m['compile_s']:.1f}, {r['runner'].get('compile_cache')} cache)"
        print(f"| {run['model']} | {run['backend']} | {mode} | {run['precision']} | {run['batch']} | "
              f"{_fmt(m.get('latency_ms_p50'))} | {_fmt(m.get('latency_ms_p99'))} | {_fmt(m.get('throughput_img_per_s'), 0)} | "
              f"{_fmt(m.get('fidelity_max_abs_err'), 3)} | {_fmt(m.get('fidelity_cos_sim_min'), 6)} | {load} | "
              f"{phase_a_cost(r, setups)} | {where}{' (' + providers + ')' if providers else ''} |")
    if setups:
        preparation_table(setups)


if __name__ == "__main__":
    main()
