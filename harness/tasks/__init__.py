"""Tasks: what a model does. Each task says how its input is made from a frame, how its outputs are
compared with the FP32 reference (fidelity), which accuracy figures exist and how they are computed, and
what --e2e post-processing is. Phase B asks the task; it holds no model-family branches."""
