#!/usr/bin/env bash
# Timing against bare loops, memory isolation, Phase A preparation and torch.compile caches on a CUDA GPU,
# in two commands of under 10 minutes each:
#   bash bench/gpu_timing_memory_compile.sh OUT_DIR timing    # timing re-validation, memory isolation, Phase A preparation
#   bash bench/gpu_timing_memory_compile.sh OUT_DIR compile   # torch.compile on yolo11n + yolo11s, warm and cold cache
set -uo pipefail
OUT=${1:?usage: gpu_timing_memory_compile.sh OUT_DIR timing|compile}
PART=${2:?usage: gpu_timing_memory_compile.sh OUT_DIR timing|compile}
mkdir -p "$OUT"
step() { local name=$1 limit=$2; shift 2; local s=$(date +%s); timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1;
         echo "$name rc=$? $(( $(date +%s) - s ))s"; }
case "$PART" in
  timing)
    step validate_timing 240 python3 bench/validate_timing.py --workdir /tmp/jb_timing --models yolo11n,yolo11s \
        --batch 1,16 --precision fp16 --iters 500
    tail -n 8 "$OUT/validate_timing.txt"
    step memory_isolation 150 python3 bench/memory_isolation.py --model yolo11s --batch 16 --imgsz 640 --precision fp16
    tail -n 6 "$OUT/memory_isolation.txt"
    WORK=/tmp/jb_prepare bash bench/gpu_backends_evidence.sh "$OUT/prepare" prepare
    cp "$OUT"/prepare/table_prepare.md "$OUT"/prepare/setup_prepare.json "$OUT"/ ; rm -rf "$OUT/prepare"
    tar czf "$OUT/timing_runs.tgz" -C /tmp/jb_timing harness/runs ;;
  compile)
    WORK=/tmp/jb_compile bash bench/gpu_backends_evidence.sh "$OUT/compile_part" compile
    cp "$OUT"/compile_part/* "$OUT"/ 2>/dev/null
    tail -n 3 "$OUT"/compile.txt; rm -rf "$OUT/compile_part" ;;
esac
