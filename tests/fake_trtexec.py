#!/usr/bin/env python3
"""A stand-in for trtexec (which cannot be installed here): prints the recorded TensorRT 10.x performance summary
(../shared/reference/samples/trtexec_perf_summary_trt10.txt, copied to tests/data/trtexec/) and writes --exportTimes /
--exportProfile in trtexec's format. FAKE_TRTEXEC_MODE=fail exits 1 after a truncated summary, as a crashed run."""
import json
import os
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "trtexec"
args = dict(a.split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
summary = (DATA / "trtexec_perf_summary_trt10.txt").read_text()
if os.environ.get("FAKE_TRTEXEC_MODE") == "fail":
    print(summary.splitlines()[3][:70])
    sys.exit(1)
print(summary.replace("--loadEngine=yolo11n_fp16.engine", " ".join(sys.argv[1:])))
if "--exportTimes" in args:
    Path(args["--exportTimes"]).write_text((DATA / "trtexec_export_times_excerpt.json").read_text())
if "--exportProfile" in args:
    Path(args["--exportProfile"]).write_text(json.dumps([{"count": 50}, {"name": "conv1", "timeMs": 40.0,
        "averageMs": 0.8, "medianMs": 0.79, "percentage": 80.0}, {"name": "head", "timeMs": 10.0, "averageMs": 0.2,
        "medianMs": 0.2, "percentage": 20.0}]))
