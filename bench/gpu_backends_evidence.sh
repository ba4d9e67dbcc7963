#!/usr/bin/env bash
# The backends on a CUDA GPU, one command (yolo11n, yolo11s; imgsz 640; batch 1 and 8).
#   bash bench/gpu_backends_evidence.sh OUT_DIR [eager|compile|prepare]
# eager:   torch eager fp32/fp16 and ONNX Runtime, with cuDNN tuning; then the same with CUDA graphs.
# compile: torch_compile fp16 with the cache Phase A warmed, then one run with a cold cache.
# prepare: Phase A alone (--skip_inference) from an empty folder: what each artifact costs to prepare.
# Each step's setup config is kept as OUT/setup_STEP.json (a later step rewrites the one in the folder).
set -uo pipefail
OUT=${1:?usage: gpu_backends_evidence.sh OUT_DIR [eager|compile|prepare]}
PART=${2:-eager}
mkdir -p "$OUT"
W=${WORK:-/tmp/jb_backends}
COMMON=(--models yolo11n,yolo11s --imgsz 640 --batch 1,8 --profile desktop-gpu --warmup 20 --iters 200
        --preprocessed_dir "$W/pre" --out_dir "$W/out")
step() { local name=$1 limit=$2; shift 2; local s=$(date +%s); timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1;
         echo "$name rc=$? $(( $(date +%s) - s ))s"; cp "$W/pre/setup_config.json" "$OUT/setup_$name.json" 2>/dev/null; }
case "$PART" in
  eager)
    step eager 240 python3 jetson_benchmark.py "${COMMON[@]}" --backend torch,onnxruntime --precision fp32,fp16 --enable_cudnn_tuning
    step cudagraph 200 python3 jetson_benchmark.py "${COMMON[@]}" --backend torch --precision fp32,fp16 --enable_cudnn_tuning --cuda_graph ;;
  compile)
    step compile 420 python3 jetson_benchmark.py "${COMMON[@]}" --backend torch_compile --precision fp16
    step compile_cold 110 python3 jetson_benchmark.py "${COMMON[@]}" --backend torch_compile --precision fp16 \
        --models yolo11n --batch 1 --compile_cache cold ;;
  prepare)
    step prepare 120 python3 jetson_benchmark.py "${COMMON[@]}" --backend torch,onnxruntime --precision fp32,fp16 \
        --skip_inference ;;
esac
python3 bench/backends_table.py "$W/out" "$OUT"/setup_*.json | tee "$OUT/table_$PART.md"
tar czf "$OUT/backends_$PART.tgz" -C "$W" $(cd "$W" && ls -d out/runs 2>/dev/null) pre/setup_config.json
