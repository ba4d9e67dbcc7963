#!/usr/bin/env bash
# The last GPU session: timing validation with the harness's samplers off (diagnosis), and torch.compile.
set -uo pipefail
OUT=${1:?usage: gpu_final.sh OUT_DIR}
mkdir -p "$OUT"
step() { local name=$1 limit=$2; shift 2; local s=$(date +%s); timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1;
         echo "$name rc=$? $(( $(date +%s) - s ))s"; }
step validate_quiet 170 python3 bench/validate_timing.py --workdir /tmp/jb_quiet --models yolo11n,yolo11s --batch 1,16 \
    --precision fp16 --iters 500 --harness_flags "--metrics_interval 0 --memory_sample_ms 0"
tail -n 8 "$OUT/validate_quiet.txt"
WORK=/tmp/jb_backends step compile 330 bash bench/gpu_backends_evidence.sh "$OUT/compile_part" compile
tail -n 6 "$OUT/compile_part/table_compile.md"
cp "$OUT"/compile_part/*.tgz "$OUT"/compile_part/*.md "$OUT"/ 2>/dev/null; rm -rf "$OUT/compile_part"
