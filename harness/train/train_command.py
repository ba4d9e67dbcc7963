"""``jetson_benchmark.py train``: the training matrix, model x approach, each in its own child process.

    python3 jetson_benchmark.py train --models yolo11n,yolo11n-seg,yolo11n-cls --epochs 10 [--train_data D.yaml]
        [--train_approach scratch,finetune --weights_dir W] [--train_imgsz 320] [--train_batch 16]
        [--train_device auto] [--out_dir jetson_results] [--force]

Exit 0 when every model trained (or was trained before), 1 when one failed or ran out of memory (the others still
ran), 2 on bad input (one line).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import UserError
from harness.options import DEFAULT_MODELS
from harness.train.train_spec import APPROACHES, train_specs


def _names(text: str) -> list:
    return [part.strip() for part in text.split(",") if part.strip()]


def train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jetson-benchmark train",
                                     description="Train models with Ultralytics' trainer, one child process each.")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS),
                        help="Ultralytics architectures, task suffixes included (yolo11n, yolo11n-seg, yolo11n-cls)")
    parser.add_argument("--train_approach", default="scratch", help="scratch, finetune or both (comma-separated); "
                        "finetune starts from <weights_dir>/<model>.pt")
    parser.add_argument("--train_data", default=None, help="a dataset YAML, an ImageFolder tree (-cls), or nothing: "
                        "the generated data for each model's task")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--train_imgsz", type=int, default=320)
    parser.add_argument("--train_batch", type=int, default=16)
    parser.add_argument("--train_device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--weights_dir", default=None, help="checkpoints to finetune from")
    parser.add_argument("--out_dir", default="jetson_results")
    parser.add_argument("--force", action="store_true", help="retrain models whose report exists")
    parser.add_argument("--train_timeout_s", type=float, default=7200.0, help="time limit per training (s)")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def checked(args) -> list:
    approaches = _names(args.train_approach)
    bad = [a for a in approaches if a not in APPROACHES]
    if bad or not approaches:
        raise UserError(f"--train_approach {args.train_approach}: choose from {', '.join(APPROACHES)}")
    for name in ("epochs", "train_imgsz", "train_batch"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name} {getattr(args, name)}: must be 1 or more")
    return train_specs(_names(args.models), approaches, args.train_data, args.epochs, args.train_imgsz,
                       args.train_batch, args.train_device, args.seed)


def train_command(argv: list) -> int:
    from harness.train.train_phase import status_line, train_one

    args = train_parser().parse_args(argv)
    specs = checked(args)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    outcomes = []
    with open(out_dir / "train.log", "a") as log_file:
        for index, spec in enumerate(specs, start=1):
            outcome = train_one(spec, out_dir, args.weights_dir, args.force, args.train_timeout_s, log_file)
            print(status_line(index, len(specs), outcome), flush=True)
            outcomes.append(outcome)
    bad = [o for o in outcomes if o.status not in ("ok", "reused")]
    print(f"trained weights: {out_dir / 'weights'}; reports: {out_dir / 'training'}/<run>/report.md; "
          f"log: {out_dir / 'train.log'}")
    return 1 if bad else 0
