"""Where the time goes: per-layer / per-operator times of a separate, untimed profiling pass, reduced to one
record shape whatever measured them (torch.profiler's operator table, ONNX Runtime's session profile, TensorRT's
IProfiler), with each entry's share of the profiled total. The profilers add overhead of their own: shares are
the figure to read, not the absolute times."""

from __future__ import annotations

import json
from collections import defaultdict

TOP_N = 15


def top_entries(entries: list, n: int = TOP_N) -> dict:
    """``entries``: [{"name", "op", "total_ms", "calls"}] (one per layer or operator, times exclusive of their
    children). Returns {"total_ms", "entries_n", "top": the n largest with "share_pct", "other_share_pct"}."""
    total = sum(e["total_ms"] for e in entries)
    ranked = sorted(entries, key=lambda e: -e["total_ms"])
    top = [{**e, "share_pct": e["total_ms"] / total * 100.0 if total else None} for e in ranked[:n]]
    rest = sum(e["total_ms"] for e in ranked[n:])
    return {"total_ms": total, "entries_n": len(entries), "top": top,
            "other_share_pct": rest / total * 100.0 if total else None}


def ort_profile_entries(trace_text: str) -> list:
    """ONNX Runtime's profile (Chrome trace JSON): one entry per graph node, its ``*_kernel_time`` events summed
    (microseconds in the trace), its operator type from ``args.op_name``; session and fence events left out."""
    events = json.loads(trace_text) if trace_text.strip() else []
    totals, calls, ops = defaultdict(float), defaultdict(int), {}
    for event in events:
        name = str(event.get("name", ""))
        if event.get("cat") != "Node" or not name.endswith("_kernel_time"):
            continue
        node = name[: -len("_kernel_time")]
        totals[node] += float(event.get("dur", 0)) / 1000.0
        calls[node] += 1
        ops[node] = (event.get("args") or {}).get("op_name")
    return [{"name": node, "op": ops[node], "total_ms": totals[node], "calls": calls[node]} for node in totals]


def torch_profile_entries(key_averages, on_cuda: bool) -> list:
    """torch.profiler's ``key_averages()``: one entry per operator with its self time (device time on CUDA,
    CPU time otherwise), in ms; operators with no self time left out."""
    entries = []
    for event in key_averages:
        if on_cuda:
            micros = getattr(event, "self_device_time_total", None)
            micros = getattr(event, "self_cuda_time_total", 0) if micros is None else micros  # torch < 2.4
        else:
            micros = event.self_cpu_time_total
        if micros and micros > 0:
            entries.append({"name": event.key, "op": None, "total_ms": micros / 1000.0, "calls": int(event.count)})
    return entries


def tensorrt_profile_entries(layer_times: dict, layer_calls: dict) -> list:
    """TensorRT's IProfiler reports, summed per layer name: [{"name", "op": None, "total_ms", "calls"}]."""
    return [{"name": name, "op": None, "total_ms": ms, "calls": layer_calls.get(name, 0)}
            for name, ms in layer_times.items()]
