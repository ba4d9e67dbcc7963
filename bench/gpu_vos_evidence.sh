#!/usr/bin/env bash
# The video models on a GPU, in one command:
#   bash bench/gpu_vos_evidence.sh OUT_DIR
# 1. SAM 2.1 tiny and EdgeTAM, points and bbox prompts, fp32 / fp16 / bf16, at their native 1024 input, on a
#    generated SA-V-layout split (3 videos of 96 frames): fps, per-frame and prompt-frame latency, per-video peak,
#    memory growth over a video, start-of-video drift.
# 2. The same models plus SAM 2.1 small / base+ / large, fp16, under the emulated orin-nano-8gb budget (a hard cap
#    on the process's CUDA allocations): which fit.
# 3. The image encoder on ONNX Runtime's CUDA provider (onnxruntime-gpu) against torch, SAM 2.1 tiny and EdgeTAM at
#    1024, fp32 and fp16: fps, frame latency, the encoder's time and share of the frame, and the in-run mask IoU
#    against the torch encoder frame by frame (the per-frame lowest IoU over the checked frames, by frame range).
# Random-init weights (timings and memory are real; J&F is meaningless). Tables go to OUT_DIR/tables.md.
# PARTS=1 (or 2, 3, 13, ...) runs those parts (default: 1 and 2); FRAMES=N frames per generated video (default 96).
set -uo pipefail
OUT=${1:?usage: gpu_vos_evidence.sh OUT_DIR}
REPO=$PWD
WORK=${WORK:-/tmp/jb_vos}
mkdir -p "$OUT" "$WORK"
cd "$WORK" || exit 1
python3 -c "import sys; sys.path.insert(0, '$REPO'); from harness.data.synthetic_vos import generate_vos_split; \
generate_vos_split('$WORK/split', videos=3, frames=${FRAMES:-96}, size=(480, 854))"
table() { python3 "$REPO/bench/csv_table.py" "$@"; }  # table CSV COLUMNS...
videos() {  # per-video rows of every result in a folder
    python3 - "$1" <<'PY'
import json, sys, glob
print("| run | video | frames | fps | frame p50 ms | start MiB | peak torch MiB | growth MiB |")
print("|---|---|---|---|---|---|---|---|")
for path in sorted(glob.glob(sys.argv[1] + "/runs/*.json")):
    r = json.load(open(path))
    for v in r.get("videos") or []:
        f = lambda x: "" if x is None else f"{x:.4g}"
        print(f"| {r['run_id']} | {v['name']} | {v.get('frames_n', '')} | {f(v.get('fps'))} | {f(v.get('latency_ms_p50'))} | "
              f"{f((v.get('start_memory') or {}).get('torch_alloc_mb'))} | {f((v.get('peaks') or {}).get('peak_torch_alloc_mb'))} | "
              f"{f(v.get('memory_growth_mb'))} |")
PY
}
PARTS=${PARTS:-12}
want() { [[ "$PARTS" == *"$1"* ]]; }
JB="python3 $REPO/jetson_benchmark.py --split_dir $WORK/split --preprocessed_dir $WORK/pre --warmup 10"
if want 1; then
echo "## 1. SAM 2.1 tiny and EdgeTAM at 1024, desktop GPU" | tee -a "$OUT/tables.md"
$JB --models sam2.1_hiera_tiny,edgetam --prompt points,bbox --precision fp32,fp16,bf16 --profile desktop-gpu \
    --out_dir "$WORK/native" >> "$OUT/runs.log" 2>&1; echo "rc=$?"
table "$WORK/native/jetson_benchmark_summary.csv" model variant precision status fps latency_ms_p50 latency_ms_p99 \
    prompt_latency_ms_p50 peak_torch_alloc_mb peak_process_gpu_mb start_memory_drift_mb j_and_f | tee -a "$OUT/tables.md"
videos "$WORK/native" | tee -a "$OUT/tables.md"
fi
encoder_frames() {  # the in-run encoder check of every result in a folder, frame by frame in ranges of 8
    python3 - "$1" <<'PY'
import json, sys, glob
print("| run | checked frames | IoU mean | IoU min | lowest IoU by frame range (8 frames each) |")
print("|---|---|---|---|---|")
for path in sorted(glob.glob(sys.argv[1] + "/runs/*.json")):
    r = json.load(open(path))
    check = r.get("encoder_check") or {}
    lows = check.get("iou_min_by_frame") or []
    if not lows:
        continue
    ranges = " ".join(f"{min(lows[i:i + 8]):.4f}" for i in range(0, len(lows), 8))
    m = r["metrics"]
    print(f"| {r['run_id']} | {m.get('encoder_check_frames_n')} | {m.get('encoder_mask_iou_mean'):.4f} | "
          f"{m.get('encoder_mask_iou_min'):.4f} | {ranges} |")
PY
}
if want 3; then
echo "## 3. the image encoder on ONNX Runtime's CUDA provider against torch, at 1024" | tee -a "$OUT/tables.md"
python3 -c "import onnxruntime as o; print('onnxruntime', o.__version__, o.get_available_providers())" | tee -a "$OUT/tables.md"
$JB --models sam2.1_hiera_tiny,edgetam --prompt points --backend torch,onnxruntime --precision fp32,fp16 \
    --profile desktop-gpu --out_dir "$WORK/ortenc" >> "$OUT/runs.log" 2>&1; echo "rc=$?"
table "$WORK/ortenc/jetson_benchmark_summary.csv" model backend precision status fps latency_ms_p50 latency_ms_p99 \
    encoder_ms_mean encoder_share_pct encoder_mask_iou_mean encoder_mask_iou_min encoder_check_frames_n \
    peak_torch_alloc_mb peak_process_gpu_mb reason | tee -a "$OUT/tables.md"
encoder_frames "$WORK/ortenc" | tee -a "$OUT/tables.md"
fi
if want 2; then
echo "## 2. under the emulated orin-nano-8gb budget, fp16" | tee -a "$OUT/tables.md"
$JB --models sam2.1_hiera_tiny,sam2.1_hiera_small,sam2.1_hiera_base_plus,sam2.1_hiera_large,edgetam --prompt points \
    --precision fp16 --profile orin-nano-8gb --out_dir "$WORK/nano" >> "$OUT/runs.log" 2>&1; echo "rc=$?"
table "$WORK/nano/jetson_benchmark_summary.csv" model precision status oom_evidence reason fps latency_ms_p50 \
    peak_torch_alloc_mb peak_process_gpu_mb gpu_mem_limit_mb budget_peak_pct videos_skipped_oom_n | tee -a "$OUT/tables.md"
fi
for part in native nano ortenc; do cp "$WORK/$part/jetson_benchmark_summary.csv" "$OUT/vos_$part.csv" 2>/dev/null; done
cp "$WORK/native/plots/frames__sam2.1_hiera_tiny__torch__fp16__img1024__b1__points.png" "$OUT/" 2>/dev/null
exit 0
