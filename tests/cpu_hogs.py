"""Busy processes for the host-interference tests, bounded in time: a Python loop, or native threads (numpy
matrix products, which release the GIL). Each prints its own CPU seconds (all threads) when it ends."""

from __future__ import annotations

import argparse
import resource
import threading
import time


def python_loop(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def native_threads(seconds: float, threads: int) -> None:
    import numpy as np

    a = np.random.default_rng(0).standard_normal((256, 256))

    def work():
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            a @ a

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("python", "native"))
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.kind == "python":
        python_loop(args.seconds)
    else:
        native_threads(args.seconds, args.threads)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(usage.ru_utime + usage.ru_stime, flush=True)


if __name__ == "__main__":
    main()
