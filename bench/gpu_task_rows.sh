#!/usr/bin/env bash
# Every task's rows (segment, classify) on a CUDA GPU, torch and ONNX Runtime, in one command:
#   bash bench/gpu_task_rows.sh OUT_DIR
# A YOLO segmentation model (yolo11n-seg, random init, imgsz 640) and a ResNet-50 classifier (torchvision,
# random init, 224, exported in this script to ONNX and TorchScript with a .model.json saying classify +
# imagenet + imgsz 224) on the generated dataset: torch at batch 1 and 32, fp32 (strict), tf32 and fp16; ONNX
# Runtime at batch 1 and 32, fp32 and fp16 (its CUDA provider where the Python has onnxruntime-gpu; with the GPU
# image's CPU-only onnxruntime those rows run on the host's CPU and fp16 is skipped, as the providers column says).
# Prints the table (task, latency, throughput, fidelity figures) and keeps the summary CSV.
set -uo pipefail
OUT=${1:?usage: gpu_task_rows.sh OUT_DIR}
WORK=${WORK:-/tmp/jb_tasks}
mkdir -p "$OUT" "$WORK/w"
python3 - "$WORK/w" <<'PY'
import json, sys, torch, torchvision
folder = sys.argv[1]
torch.manual_seed(0)
model = torchvision.models.resnet50(weights=None).eval()
example = torch.zeros(1, 3, 224, 224)
torch.onnx.export(model, (example,), f"{folder}/resnet50.onnx", input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}}, dynamo=False)
torch.jit.trace(model, example).save(f"{folder}/resnet50_ts.pt")
for stem in ("resnet50", "resnet50_ts"):
    json.dump({"task": "classify", "input_norm": "imagenet", "imgsz": 224}, open(f"{folder}/{stem}.model.json", "w"))
PY
REPO=$PWD
cd "$WORK" || exit 1
# TORCH_MODELS= or ORT_MODELS= (empty) leaves that step out
# torch on the GPU: both models, fp32 / tf32 / fp16, batch 1 and 32
[ -n "${TORCH_MODELS-x}" ] && python3 "$REPO/jetson_benchmark.py" --weights_dir w --models "${TORCH_MODELS:-yolo11n-seg,resnet50_ts}" --backend torch \
    --precision fp32,tf32,fp16 --batch 1,32 --iters 100 --min_duration_s 2 --profile desktop-gpu --probe_batch off \
    > "$OUT/tasks_run.txt" 2>&1 && echo "torch run ok" || echo "torch run: exit $? (or left out)"
# ONNX Runtime: the same exported models, fp32 (strict: use_tf32 off) / tf32 / fp16 (the exported fp32 graph
# converted by ONNX Runtime's float16 converter), batch 1 and 32
[ -n "${ORT_MODELS-x}" ] && python3 "$REPO/jetson_benchmark.py" --weights_dir w --models "${ORT_MODELS:-yolo11n-seg,resnet50}" --backend onnxruntime \
    --precision fp32,tf32,fp16 --batch 1,32 --iters 100 --min_duration_s 2 --profile desktop-gpu --probe_batch off \
    >> "$OUT/tasks_run.txt" 2>&1 && echo "onnxruntime run ok" || echo "onnxruntime run: exit $? (or left out)"
cp "$WORK/jetson_results/jetson_benchmark_summary.csv" "$OUT/tasks_summary.csv"
python3 - "$WORK/jetson_results/jetson_benchmark_summary.csv" <<'PY' | tee "$OUT/tasks_table.md"
import sys, pandas as pd
f = pd.read_csv(sys.argv[1])
cols = ["model", "task", "backend", "precision", "imgsz", "batch", "status", "latency_ms_p50", "gpu_compute_ms_p50",
        "throughput_img_per_s", "fidelity_max_abs_err", "fidelity_cos_sim_min", "fidelity_box_match_pct",
        "fidelity_mask_iou_mean", "fidelity_top1_agree_pct", "fidelity_top5_overlap_pct", "execution_device",
        "providers", "reason"]
print(f[[c for c in cols if c in f.columns]].to_markdown(index=False, floatfmt=".4g"))
PY
