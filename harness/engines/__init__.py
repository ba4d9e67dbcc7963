"""TensorRT engines: reading ``.engine`` files, the platform an engine is tied to, INT8 calibration data,
building an engine from ONNX in a child process (with the workspace halved on allocation failure), and
reusing an engine whose sidecar still matches.

Nothing in this package imports TensorRT at module level: the library is imported only inside the build
child (:mod:`harness.engines.trt_build`) and the runner (:mod:`runners.tensorrt_runner`), so every other
part runs, and is tested, on machines without it.
"""
