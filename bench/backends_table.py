"""The docs/backends.md table, derived from result files: latency, throughput, fidelity and what each
artifact cost to prepare in Phase A.

    python bench/backends_table.py OUT_DIR [SETUP_CONFIG]

Phase A build time comes from the artifact's sidecar (ONNX export_s, engine build_s) or, for
torch_compile, from the setup config's compile warm-up record of that run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.artifact_sidecar import read_sidecar  # noqa: E402
from harness.results import load_results  # noqa: E402


def _fmt(value, digits=2):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e-2 and value != 0 else f"{value:.{digits}f}"
    return str(value)


def phase_a_cost(result: dict, setup: dict) -> str:
    run = result["run"]
    if run["backend"] == "torch_compile":
        warm = (setup.get("compile_warmup") or {}).get(result["run_id"])
        return f"compile {warm['wall_s']:.1f} s (process)" if warm and warm.get("wall_s") else ""
    sidecar = read_sidecar(run["artifact"]) if run.get("artifact") else None
    if not sidecar:
        return ""
    if sidecar.get("export_s") is not None:
        return f"ONNX export {sidecar['export_s']:.1f} s"
    if sidecar.get("build_s") is not None:
        return f"engine build {sidecar['build_s']:.1f} s"
    if sidecar.get("kind") == "random_init_checkpoint":
        return "checkpoint (random init)"
    return ""


def main() -> None:
    results = load_results(sys.argv[1])
    setup = json.loads(Path(sys.argv[2]).read_text()) if len(sys.argv) > 2 else {}
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
              f"{phase_a_cost(r, setup)} | {where}{' (' + providers + ')' if providers else ''} |")


if __name__ == "__main__":
    main()
