#!/usr/bin/env bash
# Memory on a CUDA GPU: the Orin Nano 8 GB profile emulated with a hard cap.
#   bash bench/gpu_memory_evidence.sh OUT_DIR [matrix|extras]
# matrix: yolo11n + yolo11s, imgsz 640 and 1280, batch 1..256, fp16.
#   1. --probe_batch off: every batch runs in Phase B, the large ones really run out of memory;
#   2. --probe_batch on --skip_inference: Phase A's probe predictions (setup config);
#   3. --skip_setup --batch 64,128,256: Phase B with the probe's plan (skipped_oom citing the probe);
#   4. bench/probe_agreement.py: prediction vs measurement.
# extras: memory_isolation (a)/(b)/(c) and sampler on/off.
set -uo pipefail
OUT=${1:?usage: gpu_memory_evidence.sh OUT_DIR [matrix|extras]}
PART=${2:-matrix}
mkdir -p "$OUT"
W=${WORK:-/tmp/jb_gpu}
M=(--profile orin-nano-8gb --models yolo11n,yolo11s --imgsz 640,1280 --batch 1,2,4,8,16,32,64,128,256
   --precision fp16 --backend torch --warmup 5 --iters 20 --preprocessed_dir "$W/pre")
step() { local name=$1 limit=$2; shift 2; local s=$(date +%s); timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1;
         echo "$name rc=$? $(( $(date +%s) - s ))s"; }
case "$PART" in
  matrix)
    step matrix_noprobe 240 python3 jetson_benchmark.py "${M[@]}" --probe_batch off --out_dir "$W/noprobe"
    step probe_setup 290 python3 jetson_benchmark.py "${M[@]}" --probe_batch on --skip_inference --out_dir "$W/probe"
    step probe_measure 60 python3 jetson_benchmark.py --skip_setup --preprocessed_dir "$W/pre" --batch 64,128,256 --out_dir "$W/probe"
    python3 bench/probe_agreement.py "$W/pre/setup_config.json" "$W/noprobe" | tee "$OUT/agreement.md"
    tail -24 "$OUT/probe_measure.txt"
    tar czf "$OUT/results.tgz" -C "$W" noprobe/runs probe/runs pre/setup_config.json noprobe/jetson_benchmark_summary.md \
        probe/jetson_benchmark_summary.md ;;
  extras)
    step memory_isolation 170 python3 bench/memory_isolation.py --model yolo11s --batch 16 --imgsz 640 --precision fp16
    step sampler_overhead 120 python3 bench/sampler_overhead.py --preprocessed_dir "$W/pre" --models yolo11n --batch 1 \
        --imgsz 640 --precision fp16 --iters 500 --repeats 2
    tail -7 "$OUT/memory_isolation.txt" "$OUT/sampler_overhead.txt" ;;
esac
