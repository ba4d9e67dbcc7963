"""A stand-in for Phase B's measured window, in its own process: samples the host's load (the harness's own
sampler) for ``--window_s`` while it does light work of its own, then prints the figures and the verdict as JSON.
``start`` is printed the moment the window opens, so a test can start a hog at a known moment of it."""

from __future__ import annotations

import argparse
import json
import time

from harness.measure.host_interference import HostLoadSampler
from harness.measure.validity import Requirements, judge


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--window_s", type=float, default=3.0)
    args = parser.parse_args()
    sampler = HostLoadSampler().start()
    print("start", flush=True)
    end = time.perf_counter() + args.window_s
    while time.perf_counter() < end:
        sum(range(2000))  # a pass's worth of own work, then a pause, as a latency loop with a device would
        time.sleep(0.002)
    sampler.stop()
    figures, why = sampler.result()
    print(json.dumps({"figures": figures, "why": why, "verdict": judge(figures or {}, Requirements())}), flush=True)


if __name__ == "__main__":
    main()
