#!/usr/bin/env bash
# The measurement checks on a CUDA GPU, every step one command with its output kept:
#   bash bench/gpu_validation.sh OUT_DIR
set -uo pipefail
OUT=${1:?usage: gpu_validation.sh OUT_DIR}
mkdir -p "$OUT"
W=${WORK:-/tmp/jb_validation}
step() { local name=$1 limit=$2; shift 2; local s=$(date +%s); timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1;
         echo "$name rc=$? $(( $(date +%s) - s ))s"; }
MATRIX=(--models yolo11n,yolo11s --backend torch --precision fp16 --batch 1,16 --profile desktop-gpu --probe_batch off
        --iters 500 --min_duration_s 3)
step validate_timing 200 python3 bench/validate_timing.py --workdir "$W" --models yolo11n,yolo11s --batch 1,16 \
    --precision fp16 --iters 500
step isolation_cost 60 python3 bench/isolation_cost.py "$W/harness" --repeats 3
step repeatability 150 python3 bench/repeatability.py --preprocessed_dir "$W/pre" --workdir "$W/rep" "${MATRIX[@]}"
step setup_reuse 90 python3 bench/setup_reuse_and_frames.py --workdir "$W/sr" --models yolo11n --imgsz 640 --precision fp16
step modes 150 python3 jetson_benchmark.py --models yolo11n --backend torch --precision fp16 --batch 1,16 --streams 1,2,4 \
    --e2e --profile desktop-gpu --probe_batch off --preprocessed_dir "$W/pre_modes" --out_dir "$W/modes"
step report 60 python3 jetson_benchmark.py report "$W/harness"
tail -n 9 "$OUT/validate_timing.txt" "$OUT/isolation_cost.txt" "$OUT/repeatability.txt" "$OUT/setup_reuse.txt"
tar czf "$OUT/validation_results.tgz" -C "$W" harness/runs harness/metrics.jsonl harness/report.md modes/runs rep/first/runs \
    rep/second/runs
