#!/usr/bin/env bash
# --isolation fork against --isolation run on a CUDA GPU under the Orin Nano 8 GB profile (hard cap): the forked
# process creates its own CUDA context; its GPU and host memory figures, latency and lifetime against a new
# interpreter's; a run that runs out of memory under fork is a recorded skip.
#   bash bench/gpu_isolation_evidence.sh OUT_DIR
set -uo pipefail
OUT=${1:?usage: gpu_isolation_evidence.sh OUT_DIR}
mkdir -p "$OUT"
W=${WORK:-/tmp/jb_gpu_fork}
(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; nproc; date -u
 python3 -c "import sys,torch,ultralytics;print(sys.version.split()[0],torch.__version__,torch.version.cuda,ultralytics.__version__)") 2>&1 | tee "$OUT/gpu.txt"
step() { local name=$1 limit=$2; shift 2; local s=$(date +%s); timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1;
         echo "$name rc=$? $(( $(date +%s) - s ))s" | tee -a "$OUT/steps.txt"; }
step fork_tests 120 python3 -m pytest -q -p no:cacheprovider tests/test_fork_launcher.py
step fork_vs_run 330 python3 bench/isolation_fork_vs_run.py --pairs 2 --workdir "$W/pairs" -- --device cuda \
     --profile orin-nano-8gb --models yolo11n,yolov8n --backend torch --precision fp32,fp16 --imgsz 640
step fork_oom 120 python3 jetson_benchmark.py --device cuda --profile orin-nano-8gb --models yolo11n --backend torch \
     --precision fp16 --imgsz 1280 --batch 1,256 --probe_batch off --warmup 2 --iters 5 --out_dir "$W/oom" \
     --preprocessed_dir "$W/oom_pre"
tail -30 "$OUT/fork_vs_run.txt"; tail -12 "$OUT/fork_oom.txt"
tar czf "$OUT/results.tgz" -C "$W" pairs/fork_0/runs pairs/run_0/runs oom/runs 2>/dev/null
