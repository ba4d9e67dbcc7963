"""Peak GPU memory of one model/batch measured three ways, in one command (needs a CUDA device):

  (a) the harness's Phase B (a fresh process that only loads and measures),
  (b) a bare script that only loads the model and runs the same passes,
  (c) one process that first does the setup work (ONNX export, preprocessing, cuDNN benchmark probing at
      a larger batch) and then measures, as a single-process benchmark would.

    python bench/memory_isolation.py --model yolo11s --batch 16 --imgsz 640 --precision fp16

Prints peak process GPU memory (NVML, this pid) and peak torch reserved memory during the measured passes
for each. Target: (a) within 2 % of (b), and (a) clearly below (c).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


class NvmlPeak:
    """Peak NVML per-process memory of this pid, sampled every 20 ms in a thread (the harness's rate)."""

    def __init__(self):
        import pynvml

        pynvml.nvmlInit()
        self.nvml, self.handle = pynvml, pynvml.nvmlDeviceGetHandleByIndex(0)
        self.peak, self._stop = 0.0, threading.Event()

    def read(self) -> float:
        for proc in self.nvml.nvmlDeviceGetComputeRunningProcesses(self.handle):
            if proc.pid == os.getpid() and proc.usedGpuMemory:
                return proc.usedGpuMemory / 2**20
        return 0.0

    def __enter__(self):
        self.peak = self.read()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def _loop(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.read())

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()
        self.peak = max(self.peak, self.read())


def measure_in_this_process(model, frames, batch, warmup, iters, half) -> dict:
    """Same passes as Phase B: warm-up, reset peaks, measured passes over consecutive batches."""
    import numpy as np
    import torch

    dtype = torch.float16 if half else torch.float32

    def prepare(chunk):  # the same tensor operations, in the same order, as a Phase B pass
        staged = torch.from_numpy(np.ascontiguousarray(chunk)).to("cuda")
        return staged.to(dtype).div_(255.0)

    def run(i):
        chunk = frames[(i * batch) % (len(frames) - batch + 1):][:batch]
        x = prepare(chunk)
        with torch.inference_mode():
            out = model(x)
        out = out[0] if isinstance(out, (list, tuple)) else out
        torch.cuda.synchronize()
        return out  # consumed by the caller and dropped before the next pass

    for i in range(warmup):
        run(i)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    with NvmlPeak() as nvml:
        for i in range(iters):
            run(warmup + i)
    return {"peak_process_gpu_mb": nvml.peak, "peak_torch_reserved_mb": torch.cuda.max_memory_reserved() / 2**20}


def load_model(checkpoint: str, half: bool):
    from ultralytics.nn.tasks import load_checkpoint

    model, _ = load_checkpoint(checkpoint, device="cpu", fuse=True)
    model = model.to("cuda").eval()
    return model.half() if half else model


def frames_from(setup_dir: Path, imgsz: int):
    import numpy as np

    config = json.loads((setup_dir / "setup_config.json").read_text())
    seq = config["dataset"]["sequences"][0]
    return np.array(np.load(setup_dir / seq["frames"][str(imgsz)], mmap_mode="r"))


def way_b(args) -> dict:
    import torch

    torch.zeros(1, device="cuda")
    model = load_model(args.checkpoint, args.precision == "fp16")
    return measure_in_this_process(model, frames_from(Path(args.setup_dir), args.imgsz), args.batch, args.warmup,
                                   args.iters, args.precision == "fp16")


def way_c(args) -> dict:
    import torch
    from ultralytics import YOLO

    from harness.data.letterbox import letterbox
    from harness.data.synthetic_dataset import generate

    torch.zeros(1, device="cuda")
    work = Path(tempfile.mkdtemp(prefix="way_c_"))
    YOLO(args.checkpoint).export(format="onnx", imgsz=args.imgsz, half=args.precision == "fp16", device=0,
                                 dynamic=True, simplify=False, verbose=False)  # setup work 1: export on the GPU
    import cv2

    root = generate(work / "data")  # setup work 2: decode + letterbox in this process
    decoded = [letterbox(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB), args.imgsz) for p in sorted((root / "images").glob("*.jpg"))]
    del decoded
    half = args.precision == "fp16"
    model = load_model(args.checkpoint, half)
    torch.backends.cudnn.benchmark = True  # setup work 3: cuDNN benchmark probing at a larger batch
    probe = torch.rand(args.batch * 4, 3, args.imgsz, args.imgsz, device="cuda", dtype=torch.float16 if half else torch.float32)
    with torch.inference_mode():
        model(probe)
    torch.cuda.synchronize()
    del probe
    torch.backends.cudnn.benchmark = False
    return measure_in_this_process(model, frames_from(Path(args.setup_dir), args.imgsz), args.batch, args.warmup,
                                   args.iters, half)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="yolo11s")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--precision", default="fp16")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--iters", type=int, default=50)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--way", choices=["b", "c"], help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", help=argparse.SUPPRESS)
    parser.add_argument("--setup_dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.way:  # a child: one way, printed as JSON
        print("RESULT " + json.dumps(way_b(args) if args.way == "b" else way_c(args)), flush=True)
        return
    import torch

    if not torch.cuda.is_available():
        sys.exit("needs a CUDA device")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="jb_memiso_"))
    pre, out = work / "pre", work / "out"
    cmd = [sys.executable, str(REPO / "jetson_benchmark.py"), "--models", args.model, "--backend", "torch",
           "--precision", args.precision, "--imgsz", str(args.imgsz), "--batch", str(args.batch), "--warmup",
           str(args.warmup), "--iters", str(args.iters), "--profile", "desktop-gpu", "--probe_batch", "off",
           "--preprocessed_dir", str(pre), "--out_dir", str(out), "--force"]
    subprocess.run(cmd, check=True, capture_output=True)
    run_id = f"{args.model}__torch__{args.precision}__img{args.imgsz}__b{args.batch}"
    result = json.loads((out / "runs" / f"{run_id}.json").read_text())
    ways = {"(a) harness Phase B": {k: result["metrics"][k] for k in ("peak_process_gpu_mb", "peak_torch_reserved_mb")}}
    checkpoint = json.loads((pre / "setup_config.json").read_text())["models"][0]["artifacts"]["torch"]
    for way, label in (("b", "(b) bare load + same passes"), ("c", "(c) setup work, then measure, one process")):
        child = subprocess.run([sys.executable, __file__, "--way", way, "--checkpoint", checkpoint, "--setup_dir", str(pre),
                                "--batch", str(args.batch), "--imgsz", str(args.imgsz), "--precision", args.precision,
                                "--warmup", str(args.warmup), "--iters", str(args.iters)],
                               capture_output=True, text=True, env={**os.environ, "YOLO_OFFLINE": "1"})
        line = [l for l in child.stdout.splitlines() if l.startswith("RESULT ")]
        if not line:
            sys.exit(f"way {way} failed:\n{child.stdout[-2000:]}\n{child.stderr[-4000:]}")
        ways[label] = json.loads(line[0][7:])
    base = ways["(b) bare load + same passes"]
    print(f"model {args.model}, {args.precision}, imgsz {args.imgsz}, batch {args.batch}, {args.warmup} warm-up + "
          f"{args.iters} measured passes; device {torch.cuda.get_device_name(0)}")
    print("| way | peak process GPU memory (NVML, MiB) | vs (b) | peak torch reserved (MiB) | vs (b) |")
    print("|---|---|---|---|---|")
    for label, figures in ways.items():
        g, r = figures["peak_process_gpu_mb"], figures["peak_torch_reserved_mb"]
        print(f"| {label} | {g:.0f} | {g / base['peak_process_gpu_mb']:.3f} | {r:.0f} | {r / base['peak_torch_reserved_mb']:.3f} |")
    a = ways["(a) harness Phase B"]
    within = abs(a["peak_process_gpu_mb"] / base["peak_process_gpu_mb"] - 1) <= 0.02
    print(f"(a) within 2 % of (b) on process GPU memory: {'yes' if within else 'NO'}; "
          f"(a) below (c): {'yes' if a['peak_process_gpu_mb'] < ways['(c) setup work, then measure, one process']['peak_process_gpu_mb'] else 'NO'}")


if __name__ == "__main__":
    main()
