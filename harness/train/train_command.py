"""``jetson_benchmark.py train``: the training matrix, model x approach, each in its own child process.

    python3 jetson_benchmark.py train --models yolo11n,yolo11n-seg,yolo11n-cls --epochs 10 [--train_data D.yaml]
        [--train_approach scratch,finetune --weights_dir W] [--train_imgsz 320] [--train_batch 16]
        [--train_device auto] [--out_dir jetson_results] [--force]

The flags are the main command's (harness.settings.options), so ``--train`` there trains exactly the same way. Exit 0 when
every model trained (or was trained before), 1 when one failed or ran out of memory (the others still ran), 2 on
bad input (one line).
"""

from __future__ import annotations

import argparse

from harness.settings.options import FLAG_TABLE, add_flags, resolve

TRAIN_FLAGS = ("models", "weights_dir", "out_dir", "force", "train_approach", "train_data", "epochs", "train_imgsz",
               "train_batch", "train_device", "train_timeout_s", "trust_pickle")


def train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jetson-benchmark train",
                                     description="Train models with Ultralytics' trainer, one child process each.")
    add_flags(parser, {name: FLAG_TABLE[name] for name in TRAIN_FLAGS})
    return parser


def train_command(argv: list) -> int:
    from harness.train.train_phase import run_training

    opts = resolve(train_parser().parse_args(argv))
    from harness.files.folder_lock import FolderLock
    from harness.settings.options import check_writable_dir

    out_dir = check_writable_dir(opts.out_dir, "out_dir")
    with FolderLock(out_dir, "out_dir"), open(out_dir / "train.log", "a") as log_file:
        outcomes = run_training(opts, out_dir, log_file, lambda line: print(line, flush=True))
    print(f"trained weights: {out_dir / 'weights'}; reports: {out_dir / 'training'}/<run>/report.md; "
          f"log: {out_dir / 'train.log'}")
    return 1 if any(o.status not in ("ok", "reused") for o in outcomes) else 0
