#!/usr/bin/env bash
# Issue "engines and backends" evidence on a CUDA GPU (yolo11n, yolo11s; imgsz 640; batch 1 and 8).
#   bash bench/gpu_backends_evidence.sh OUT_DIR [eager|compile]
# eager:   torch eager fp32/fp16 and ONNX Runtime, with cuDNN tuning; then the same with CUDA graphs.
# compile: torch_compile fp16 with the cache Phase A warmed, then one run with a cold cache.
set -uo pipefail
OUT=${1:?usage: gpu_backends_evidence.sh OUT_DIR [eager|compile]}
PART=${2:-eager}
mkdir -p "$OUT"
W=${WORK:-/tmp/jb_backends}
COMMON=(--models yolo11n,yolo11s --imgsz 640 --batch 1,8 --profile desktop-gpu --warmup 20 --iters 200
        --preprocessed_dir "$W/pre" --out_dir "$W/out")
step() { local name=$1 limit=$2; shift 2; local s=$(date +%s); timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1;
         echo "$name rc=$? $(( $(date +%s) - s ))s"; }
case "$PART" in
  eager)
    step eager 240 python3 jetson_benchmark.py "${COMMON[@]}" --backend torch,onnxruntime --precision fp32,fp16 --enable_cudnn_tuning
    step cudagraph 200 python3 jetson_benchmark.py "${COMMON[@]}" --backend torch --precision fp32,fp16 --enable_cudnn_tuning --cuda_graph ;;
  compile)
    step compile 230 python3 jetson_benchmark.py "${COMMON[@]}" --backend torch_compile --precision fp16
    step compile_cold 90 python3 jetson_benchmark.py "${COMMON[@]}" --backend torch_compile --precision fp16 \
        --models yolo11n --batch 1 --compile_cache cold ;;
esac
python3 bench/backends_table.py "$W/out" "$W/pre/setup_config.json" | tee "$OUT/table_$PART.md"
tar czf "$OUT/backends_$PART.tgz" -C "$W" out/runs pre/setup_config.json
