#!/usr/bin/env bash
# ONNX Runtime's CUDA provider against torch, and the Q/DQ int8 model on it, on a CUDA GPU whose Python has
# onnxruntime-gpu installed:
#   bash bench/gpu_ort_cuda_evidence.sh OUT_DIR
# 1. Like for like: the trained default yolo11n and yolov8n at 416, torch against ONNX Runtime's CUDA provider,
#    fp32 and fp16, batch 1 and 16. Both backends take the same uint8 host batch, copy it to the GPU and convert it
#    there (ONNX Runtime through IO binding), so their host end-to-end latencies time the same steps.
# 2. INT8: the u8s8 Q/DQ model (calibrated on the preprocessed frames, minmax) on the CUDA provider against the
#    fp32 model of the same backend: latency, mAP and fidelity deltas (the summary's int8 columns).
# torch int8 rows are recorded skips (torch has no int8 path here). MODELS / BATCH / ITERS override the defaults
# for a dry run on the CPU (there the onnxruntime rows run on the CPU provider, as the providers column says).
set -uo pipefail
OUT=${1:?usage: gpu_ort_cuda_evidence.sh OUT_DIR}
mkdir -p "$OUT"
WORK=${WORK:-/tmp/jb_ortcuda}
PROFILE=${PROFILE:-desktop-gpu}
python3 -c "import onnxruntime as o; print('onnxruntime', o.__version__, o.get_available_providers())" \
    | tee "$OUT/providers.txt"
s=$(date +%s)
timeout "${LIMIT:-480}" python3 jetson_benchmark.py --profile "$PROFILE" --probe_batch off --weights_dir weights/default \
    --models "${MODELS:-yolo11n,yolov8n}" --imgsz 416 --backend torch,onnxruntime --precision fp32,fp16,int8 \
    --batch "${BATCH:-1,16}" --warmup 20 --iters "${ITERS:-200}" --min_duration_s 1 \
    --preprocessed_dir "$WORK/pre" --out_dir "$WORK/out" > "$OUT/run.log" 2>&1
echo "benchmark rc=$? $(( $(date +%s) - s ))s"
python3 bench/csv_table.py "$WORK/out/jetson_benchmark_summary.csv" model backend precision batch status providers \
    latency_ms_p50 latency_ms_p99 throughput_img_per_s map50_95 int8_accuracy_drop int8_speedup \
    fidelity_box_match_pct fidelity_max_abs_err peak_process_gpu_mb peak_torch_alloc_mb reason | tee "$OUT/table.md"
cp "$WORK/out/jetson_benchmark_summary.csv" "$OUT/summary.csv" 2>/dev/null
tar czf "$OUT/runs.tgz" -C "$WORK/out" runs 2>/dev/null
