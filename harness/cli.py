"""``jetson-benchmark`` / ``python jetson_benchmark.py``: the parent process's command line.

Imports nothing heavy: torch, ultralytics and tensorrt are imported only inside the phase processes.
"""

from __future__ import annotations

import argparse
import sys

from harness.files.disk_errors import disk_error_message
from harness.errors import EXIT_INTERNAL, EXIT_USAGE, UserError
from harness.settings.options import add_flags, resolve

DESCRIPTION = """Benchmark vision-model inference in two processes: Phase A prepares (models, exports, \
preprocessed frames, setup config) and exits; Phase B, a fresh process per run, measures latency, \
throughput and memory cleanly. With no arguments: yolo11n and yolov8n trained on the generated shapes (weights/default/) on a \
generated dataset. \
Also: `report OUT_DIR` regenerates the reports from the results; `compare OUT_A OUT_B` shows per-run changes \
and exits 4 on a regression, 2 when nothing is comparable; `evaluate-vos PRED_DIR GT_DIR` scores video object \
segmentation masks (J, F, J&F); `train --models yolo11n,...` trains models (docs/training.md)."""


def build_parser() -> argparse.ArgumentParser:
    from harness.parent.exit_status import epilog

    parser = argparse.ArgumentParser(prog="jetson-benchmark", description=DESCRIPTION, epilog=epilog())
    add_flags(parser)
    return parser


def report_command(argv: list) -> int:
    """``jetson_benchmark.py report OUT_DIR``: rebuild the summary, report.json/.md/.html and plots from
    the result files alone."""
    parser = argparse.ArgumentParser(prog="jetson-benchmark report",
                                     description="Regenerate every report file from the per-run results.")
    parser.add_argument("out_dir", help="a results folder (holds runs/*.json)")
    args = parser.parse_args(argv)
    from pathlib import Path

    from harness.files.folder_lock import FolderLock
    from harness.report.writer import write_reports
    from harness.records.results import load_results_checked, problems_line
    from harness.report.summary import write_summary

    from harness.settings.options import check_writable_dir

    results, problems = load_results_checked(args.out_dir)
    if problems:
        print(f"report: {problems_line(problems)}", file=sys.stderr)
    if not results:
        raise UserError(f"{args.out_dir}: no results (runs/*.json) to report on" + (" that can be read" if problems else ""))
    with FolderLock(check_writable_dir(args.out_dir, "out_dir"), "out_dir"):
        csv_path, _, _ = write_summary(args.out_dir)
        paths = write_reports(args.out_dir)
    print(f"report: {paths['md']}, {paths['html']} and {paths['json']}; plots in {Path(args.out_dir) / 'plots'}; "
          f"summary: {csv_path}")
    return 0


def compare_command(argv: list) -> int:
    from harness.report.compare import compare_command as run

    return run(argv)


def evaluate_vos_command(argv: list) -> int:
    from harness.video.evaluate import evaluate_vos_command as run

    return run(argv)


def train_command(argv: list) -> int:
    from harness.train.train_command import train_command as run

    return run(argv)


SUBCOMMANDS = {"report": report_command, "compare": compare_command, "evaluate-vos": evaluate_vos_command,
               "train": train_command}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return SUBCOMMANDS[argv[0]](argv[1:])
        namespace = build_parser().parse_args(argv)
        if namespace.config:
            from harness.settings.config_file import fill_from_config

            fill_from_config(namespace, namespace.config)
        opts = resolve(namespace)
        from harness.orchestrator import run_benchmark

        return run_benchmark(opts)
    except UserError as exc:
        print(f"jetson_benchmark: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        message = disk_error_message(exc)
        if message is None:
            return _internal_error(exc)
        print(f"jetson_benchmark: error: {message}; the results written before it are kept: free the space (or make "
              "the folder writable), then rerun the same command to resume, or `report OUT_DIR` to regenerate the "
              "reports", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("jetson_benchmark: interrupted; finished runs are kept, rerun the same command to resume",
              file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: one line here, the traceback in the log
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    import logging

    logging.getLogger("jetson_benchmark").debug("unexpected error", exc_info=True)
    print(f"jetson_benchmark: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
