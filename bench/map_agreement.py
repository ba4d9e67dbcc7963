"""The harness's mAP against Ultralytics' own ``model.val()``: detectors trained on the generated detect data with
the ``train`` command (``--train``; ``--shipped`` adds the default run's trained checkpoints from weights/default/,
made by the same command), measured by the harness (torch and ONNX Runtime rows, and YOLO26n exported NMS-free, an
end-to-end N x 300 x 6 ONNX) on the validation images, and validated by Ultralytics on the same images at the same
size (``rect=False``: the square letterbox the harness feeds; conf 0.001, IoU 0.7, 300 boxes, the validator's own
thresholds; an exported ONNX is validated as the ONNX file).

    python3 bench/map_agreement.py --train yolo26n --shipped yolo11n --epochs 80 --imgsz 256 --out /tmp/map_agreement

On a CUDA GPU (``--device cuda``) the harness rows are fp32 and fp16 (torch, and ONNX Runtime on its CUDA provider where
onnxruntime-gpu is installed) and Ultralytics validates on the GPU, ``half=True`` for the fp16 rows; ``--trained
DIR`` takes checkpoints trained earlier (DIR/<model>.pt) instead of training.

Prints a Markdown table (model, row, Ultralytics val, harness, difference) and writes it to <out>/agreement.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from bench_common import results, run_cli



def ultralytics_val(weights: Path, data: Path, imgsz: int, device: str = "cpu", half: bool = False) -> float:
    """mAP50-95 of Ultralytics' own validator on the data's val split (a .pt or an exported .onnx)."""
    from ultralytics import YOLO

    metrics = YOLO(str(weights), task="detect").val(data=str(data), imgsz=imgsz, batch=1, rect=False, conf=0.001,
                                                    iou=0.7, max_det=300, device="0" if device == "cuda" else "cpu",
                                                    half=half, plots=False, verbose=False, save_json=False)
    return float(metrics.results_dict["metrics/mAP50-95(B)"])


def export_end2end(checkpoint: Path, target: Path, imgsz: int) -> Path:
    """YOLO26's one-to-one head exported NMS-free: one N x 300 x 6 output (Ultralytics' nms=False)."""
    from ultralytics import YOLO

    shutil.move(YOLO(str(checkpoint)).export(format="onnx", imgsz=imgsz, nms=False, verbose=False), target)
    return target


def harness_maps(weights_dir: Path, models: list, images: Path, imgsz: int, out_dir: Path, device: str) -> dict:
    """(model, backend precision, output format) -> the harness's mAP50-95 on the images."""
    run_cli(["--weights_dir", weights_dir, "--models", ",".join(models), "--source", images, "--imgsz", imgsz,
             "--backend", "torch,onnxruntime", "--precision", "fp32,fp16" if device == "cuda" else "fp32",
             "--warmup", "1", "--iters", "2", "--min_duration_s", "0", "--probe_batch", "off",
             "--out_dir", out_dir, "--preprocessed_dir", out_dir / "pre"])
    return {(r["run"]["model"], f"{r['run']['backend']} {r['run']['precision']}", output_format(r)):
            r["metrics"].get("map50_95") for r in results(out_dir).values() if r["status"] == "ok"}


def output_format(result: dict) -> str:
    return ((result.get("accuracy") or {}).get("detections") or {}).get("output_format", "")


def agreement(weights_dir: Path, data: Path, imgsz: int, out_dir: Path, end2end: dict, device: str) -> list:
    """Rows (model, row, output format, Ultralytics val, harness, difference); ``end2end``: ONNX name -> its
    checkpoint. An fp16 row is compared with Ultralytics' half-precision validation of the same file."""
    models = sorted(p.stem for p in weights_dir.glob("*.pt")) + sorted(end2end)
    found = harness_maps(weights_dir, models, Path(data).parent / "images" / "val", imgsz, out_dir, device)
    validated = {}  # (file, half) -> Ultralytics' figure, once each
    rows = []
    for (model, row, fmt), ours in sorted(found.items()):
        file = weights_dir / (f"{model}.onnx" if model in end2end else f"{model}.pt")
        half = row.endswith("fp16") and file.suffix == ".pt"
        if (file, half) not in validated:
            validated[(file, half)] = ultralytics_val(file, data, imgsz, device, half)
        theirs = validated[(file, half)]
        rows.append((model, row, fmt, theirs, ours, None if ours is None else ours - theirs))
    return rows


def table(rows: list) -> str:
    lines = ["| model | harness row | output format | Ultralytics val mAP50-95 | harness mAP50-95 | difference |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {m} | {b} | {f} | {t:.4f} | {o:.4f} | {d:+.4f} |" for m, b, f, t, o, d in rows]
    return "\n".join(lines)


def main() -> None:
    from harness.data.synthetic_training import generate_training_data

    from harness.data.default_weights import SHIPPED_WEIGHTS_DIR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", default="yolo26n", help="models to train, comma-separated")
    parser.add_argument("--shipped", default="yolo11n", help="default run checkpoints to add, comma-separated")
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--imgsz", type=int, default=256)
    parser.add_argument("--train_images", type=int, default=128)
    parser.add_argument("--val_images", type=int, default=32)
    parser.add_argument("--out", type=Path, default=Path("/tmp/map_agreement"))
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--trained", type=Path, help="a folder of checkpoints trained earlier: no training")
    args = parser.parse_args()
    data = generate_training_data(args.out / "data", "detect", train_images=args.train_images,
                                  val_images=args.val_images, size=args.imgsz, seed=0)
    trained = args.trained or args.out / "train" / "weights"
    if args.trained is None:
        run_cli(["train", "--models", args.train, "--train_data", data, "--epochs", args.epochs, "--train_imgsz",
                 args.imgsz, "--train_batch", 16, "--train_device", "cpu", "--out_dir", args.out / "train"])
    weights = args.out / "weights"
    weights.mkdir(exist_ok=True)
    for model in args.train.split(","):
        shutil.copy(trained / f"{model}.pt", weights / f"{model}.pt")
    for model in filter(None, args.shipped.split(",")):
        shutil.copy(SHIPPED_WEIGHTS_DIR / f"{model}.pt", weights / f"{model}.pt")
    end2end = {}
    if (weights / "yolo26n.pt").is_file():
        export_end2end(weights / "yolo26n.pt", weights / "yolo26n_e2e.onnx", args.imgsz)
        end2end["yolo26n_e2e"] = "yolo26n"
    rows = agreement(weights, data, args.imgsz, args.out / "bench", end2end, args.device)
    text = table(rows)
    (args.out / "agreement.md").write_text(text + "\n")
    print(text)
    print(json.dumps({"largest_difference": max(abs(r[5]) for r in rows if r[5] is not None)}))


if __name__ == "__main__":
    main()
