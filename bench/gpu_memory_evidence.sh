#!/usr/bin/env bash
# Issue "memory truth" evidence on a CUDA GPU: the Orin Nano 8 GB profile emulated with a hard cap.
#   bash bench/gpu_memory_evidence.sh OUT_DIR [part]      part: matrix (default) | probe | extras
# matrix: yolo11n + yolo11s, imgsz 640 and 1280, batch 1..256, fp16, probe off -> real OOMs in Phase B.
# probe:  the same matrix with Phase A's batch probe on (its predictions), then Phase B with them.
# extras: memory_isolation (a)/(b)/(c) and sampler on/off.
set -uo pipefail
OUT=${1:?usage: gpu_memory_evidence.sh OUT_DIR [matrix|probe|extras]}
PART=${2:-matrix}
mkdir -p "$OUT"
WORK=${WORK:-/tmp/jb_gpu}
MATRIX=(--profile orin-nano-8gb --models yolo11n,yolo11s --imgsz 640,1280 --batch 1,2,4,8,16,32,64,128,256
        --precision fp16 --backend torch --warmup 5 --iters 20 --preprocessed_dir "$WORK/pre")
case "$PART" in
  matrix)
    python3 jetson_benchmark.py "${MATRIX[@]}" --probe_batch off --out_dir "$WORK/noprobe" 2>&1 | tee "$OUT/matrix_noprobe.txt"
    tar czf "$OUT/noprobe_results.tgz" -C "$WORK" noprobe pre/setup_config.json ;;
  probe)
    python3 jetson_benchmark.py "${MATRIX[@]}" --probe_batch on --out_dir "$WORK/probe" 2>&1 | tee "$OUT/matrix_probe.txt"
    tar czf "$OUT/probe_results.tgz" -C "$WORK" probe pre/setup_config.json ;;
  extras)
    python3 bench/memory_isolation.py --model yolo11s --batch 16 --imgsz 640 --precision fp16 2>&1 | tee "$OUT/memory_isolation.txt"
    python3 bench/sampler_overhead.py --preprocessed_dir "$WORK/pre" --models yolo11n --batch 1 --imgsz 640 \
        --precision fp16 --iters 500 --repeats 2 2>&1 | tee "$OUT/sampler_overhead.txt" ;;
esac
