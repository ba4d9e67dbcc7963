"""torch.compile (default mode) over the eager model. Phase A compiles each run's shape once so the
inductor cache is warm for Phase B; ``options["compile_cache"]`` is that cache folder, or "cold" for a
fresh empty one (compilation from scratch, to report both). Compilation happens in load(), so it is
part of model_load_s and reported on its own as compile_s."""

from __future__ import annotations

import os
import shutil
import tempfile
import time

from runners.torch_runner import TorchRunner


def point_compile_caches(folder: str) -> None:
    """Inductor's FX graph / kernel cache and Triton's kernel cache both go under ``folder``."""
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = os.path.join(folder, "inductor")
    os.environ["TRITON_CACHE_DIR"] = os.path.join(folder, "triton")


def cache_counters() -> dict:
    """Inductor's own count of FX-graph and AOT-autograd cache hits and misses in this process: the proof
    that a "warm" cache was warm."""
    try:
        from torch._dynamo.utils import counters
    except ImportError:
        return {}
    wanted = {}
    for group in ("inductor", "aot_autograd"):
        wanted.update({f"{group}.{k}": v for k, v in counters[group].items() if "cache" in k})
    return wanted


def cache_state(counters: dict, asked: str) -> str:
    """What the compile actually found, from inductor's counters: warm (all hits), partly warm, cold."""
    hits, misses = counters.get("inductor.fxgraph_cache_hit", 0), counters.get("inductor.fxgraph_cache_miss", 0)
    if hits and not misses:
        return "warm"
    if hits and misses:
        return "partly warm"
    if misses:
        return "cold"
    return asked  # no counters (an older torch): say what was asked for


class TorchCompileRunner(TorchRunner):
    backend = "torch_compile"

    def load(self) -> None:
        cache = self.options.get("compile_cache")
        self.cold_dir = None
        if cache == "cold" or not cache:
            self.cold_dir = tempfile.mkdtemp(prefix="jb_cold_compile_")
            point_compile_caches(self.cold_dir)
        else:
            point_compile_caches(cache)
        self.cache_state = "cold" if self.cold_dir else "warm"
        super().load()
        # The first call at this shape compiles (or loads from the cache): do it now, inside the load.
        started = time.perf_counter()
        probe = self.torch.zeros(self.image_input_shape(), dtype=self.input_dtype, device=self.torch_device)
        self._run(probe.contiguous(memory_format=self.memory_format) if self.input.layout == "nchw" else probe)
        self.synchronize()
        self.compile_s = time.perf_counter() - started
        self.cache_counters = cache_counters()
        self.cache_state = cache_state(self.cache_counters, self.cache_state)

    def _wrap(self, model):
        return self.torch.compile(model)

    def release(self) -> None:
        super().release()
        if self.cold_dir:
            shutil.rmtree(self.cold_dir, ignore_errors=True)

    def describe(self) -> dict:
        return {**super().describe(), "compile_mode": "default", "compile_cache": self.cache_state,
                "compile_s": getattr(self, "compile_s", None), "cache_counters": getattr(self, "cache_counters", {}),
                "cache_dir": os.environ.get("TORCHINDUCTOR_CACHE_DIR")}
