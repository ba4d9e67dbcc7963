"""jetson_benchmark harness: the parent CLI, Phase A (setup) and Phase B (measurement).

Importing this package must stay cheap: nothing here imports torch, ultralytics or tensorrt.
"""

__version__ = "0.1.0"
