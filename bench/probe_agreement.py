"""Does Phase A's batch probe predict where Phase B runs out of memory?

    python bench/probe_agreement.py SETUP_CONFIG NOPROBE_OUT_DIR

Compares, per model x backend x precision x imgsz, the probe's largest fitting batch and first OOM batch
(from the setup config of a --probe_batch on setup) with what a --probe_batch off matrix measured.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.records.results import load_results  # noqa: E402


def main() -> None:
    setup = json.loads(Path(sys.argv[1]).read_text())
    results = load_results(sys.argv[2])
    print("| model/backend/precision/imgsz | probe: largest fit | probe: first OOM | Phase B: largest ok | "
          "Phase B: first skipped_oom | agree | probe attempts (batch: outcome) |")
    print("|---|---|---|---|---|---|---|")
    for key, probe in setup["tuning"]["batch_probe"]["results"].items():
        model, backend, precision, imgsz = key.split("/")
        status = {int(r["run"]["batch"]): r["status"] for r in results
                  if (r["run"]["model"], r["run"]["backend"], r["run"]["precision"], str(r["run"]["imgsz"]))
                  == (model, backend, precision, imgsz)}
        ok = max([b for b, s in status.items() if s == "ok"], default=0)
        oom = min([b for b, s in status.items() if s == "skipped_oom"], default=None)
        fit, first = probe["largest_fit"], probe["first_oom"]
        agree = fit is not None and ok <= fit and (oom is None or (first is not None and first <= oom))
        tries = ", ".join(f"{a['batch']}: {a['outcome']}" for a in probe["attempts"])
        print(f"| {key} | {fit} | {first} | {ok} | {oom} | {'yes' if agree else 'NO'} | {tries} |")
    print(f"Phase A timings (s): {setup['phase_a']['timings_s']}")


if __name__ == "__main__":
    main()
