"""An --accuracy_hook used by the tests: the mean of every scored frame's output, and how many frames."""

import numpy as np


def mean_output(outputs, records):
    return {"hook_mean_output": float(np.mean([o.mean() for o in outputs])), "hook_frames_n": len(records)}
