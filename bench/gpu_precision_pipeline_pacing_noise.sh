#!/usr/bin/env bash
# Reduced precisions, pipelining, camera pacing and between-process noise on a CUDA GPU, in one command:
#   bash bench/gpu_precision_pipeline_pacing_noise.sh OUT_DIR
# 1. fp32 (strict) vs tf32 vs fp16, yolo11n and yolo11n-seg at 640, torch, batch 1 and 32: latency and fidelity.
# 2. Pipelined throughput: yolo11n and yolo11s fp16, batch 1 and 16, --pipeline 1,2,4: sustained img/s and
#    end-to-end latency with queueing.
# 3. Camera pacing: yolo11n fp16 batch 1 at 0 (back to back), 15, 30, 60 fps: p50/p99 from arrival, misses.
# 4. Between-process noise: yolo11n fp16 b1 measured twice with --repeats 3 into two folders; compare A B.
# Random-init weights, generated data. Each part prints its table; summary CSVs are kept under OUT_DIR.
# PARTS=14 bash bench/gpu_precision_pipeline_pacing_noise.sh OUT runs parts 1 and 4 only (default: all).
set -uo pipefail
OUT=${1:?usage: gpu_precision_pipeline_pacing_noise.sh OUT_DIR}
REPO=$PWD
WORK=${WORK:-/tmp/jb_wave}
mkdir -p "$OUT" "$WORK"
cd "$WORK" || exit 1
PARTS=${PARTS:-1234}
want() { [[ "$PARTS" == *"$1"* ]]; }
JB="python3 $REPO/jetson_benchmark.py --profile desktop-gpu --probe_batch off --preprocessed_dir $WORK/pre"
table() { python3 "$REPO/bench/csv_table.py" "$@"; }  # table CSV COLUMNS...
if want 1; then
echo "## 1. fp32 vs tf32 vs fp16" | tee -a "$OUT/tables.md"
$JB --models yolo11n,yolo11n-seg --backend torch --precision fp32,tf32,fp16 --batch 1,32 --iters 100 --accuracy_images 0 \
    --min_duration_s 1 --out_dir "$WORK/math" >> "$OUT/runs.log" 2>&1; echo "rc=$?"
table "$WORK/math/jetson_benchmark_summary.csv" model precision batch status latency_ms_p50 gpu_compute_ms_p50 \
    throughput_img_per_s fidelity_max_abs_err fidelity_cos_sim_min fidelity_box_match_pct fidelity_mask_iou_mean | tee -a "$OUT/tables.md"
fi
if want 2; then
echo "## 2. pipelined throughput" | tee -a "$OUT/tables.md"
$JB --models yolo11n,yolo11s --backend torch --precision fp16 --batch 1,16 --pipeline 1,2,4 --iters 200 \
    --min_duration_s 2 --fidelity_frames 0 --accuracy_images 0 --out_dir "$WORK/pipe" >> "$OUT/runs.log" 2>&1; echo "rc=$?"
table "$WORK/pipe/jetson_benchmark_summary.csv" model variant batch status latency_ms_p50 latency_ms_p99 \
    throughput_img_per_s sustained_img_per_s | tee -a "$OUT/tables.md"
fi
if want 3; then
echo "## 3. camera pacing" | tee -a "$OUT/tables.md"
$JB --models yolo11n --backend torch --precision fp16 --batch 1 --arrival_fps 0,15,30,60 --iters 150 \
    --min_duration_s 0 --fidelity_frames 0 --accuracy_images 0 --out_dir "$WORK/pace" >> "$OUT/runs.log" 2>&1; echo "rc=$?"
table "$WORK/pace/jetson_benchmark_summary.csv" run_id latency_ms_p50 latency_ms_p99 arrival_latency_ms_p50 \
    arrival_latency_ms_p99 deadline_misses_n achieved_fps gpu_compute_ms_p50 | tee -a "$OUT/tables.md"
fi
if want 4; then
echo "## 4. repeats and compare" | tee -a "$OUT/tables.md"
for side in a b; do
    $JB --models yolo11n --backend torch --precision fp16 --batch 1 --repeats 3 --iters 200 --min_duration_s 1 \
        --fidelity_frames 0 --accuracy_images 0 --out_dir "$WORK/rep_$side" >> "$OUT/runs.log" 2>&1
    echo "repeats $side rc=$?"
done
python3 "$REPO/jetson_benchmark.py" compare "$WORK/rep_a" "$WORK/rep_b" | tee -a "$OUT/tables.md"; echo "compare rc=${PIPESTATUS[0]}"
fi
for part in math pipe pace; do cp "$WORK/$part/jetson_benchmark_summary.csv" "$OUT/$part.csv" 2>/dev/null; done
