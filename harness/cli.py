"""``jetson-benchmark`` / ``python jetson_benchmark.py``: the parent process's command line.

Imports nothing heavy: torch, ultralytics and tensorrt are imported only inside the phase processes.
"""

from __future__ import annotations

import argparse
import sys

from harness.errors import EXIT_INTERNAL, UserError
from harness.options import add_flags, resolve

DESCRIPTION = """Benchmark vision-model inference in two processes: Phase A prepares (models, exports, \
preprocessed frames, setup config) and exits; Phase B, a fresh process per run, measures latency, \
throughput and memory cleanly. With no arguments: random-init yolo11n and yolov8n on a generated dataset."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jetson-benchmark", description=DESCRIPTION)
    add_flags(parser)
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    namespace = parser.parse_args(argv)
    try:
        opts = resolve(namespace)
        from harness.orchestrator import run_benchmark

        return run_benchmark(opts)
    except UserError as exc:
        print(f"jetson_benchmark: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("jetson_benchmark: interrupted; finished runs are kept, rerun the same command to resume",
              file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: one line here, the traceback in the log
        import logging

        logging.getLogger("jetson_benchmark").debug("unexpected error", exc_info=True)
        print(f"jetson_benchmark: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
