"""Prompts land on their own frame, for every prompt kind, when the first prompt frame is not 0 and objects appear
on different frames (a real SAM 2.1 tiny session, random init, 64 px)."""

import numpy as np
import pytest

pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

from harness.video.frame_loop import run_video  # noqa: E402
from harness.tasks.vos import ObjectPrompt  # noqa: E402
from harness.video.models import architecture_of, build_random, make_processor  # noqa: E402
from harness.video.session import VideoSession  # noqa: E402

FIRST, LATER = 4, 7


@pytest.fixture(scope="module")
def tiny():
    return build_random(architecture_of("sam2.1_hiera_tiny"), 64, 0), make_processor(64)


def _mask(box):
    mask = np.zeros((48, 64), bool)
    mask[box[1]:box[3], box[0]:box[2]] = True
    return mask


def _prompt(kind, object_id, frame, box):
    if kind == "points":
        return ObjectPrompt(object_id, frame, kind, points=[[(box[0] + box[2]) // 2, (box[1] + box[3]) // 2]])
    if kind == "bbox":
        return ObjectPrompt(object_id, frame, kind, box=list(box))
    return ObjectPrompt(object_id, frame, kind, mask=_mask(box))


@pytest.mark.parametrize("kind", ["points", "bbox", "mask"])
def test_each_object_is_prompted_on_its_own_frame(tiny, kind):
    model, processor = tiny
    boxes = {1: (8, 6, 30, 28), 2: (36, 20, 60, 44)}
    prompts = [_prompt(kind, 1, FIRST, boxes[1]), _prompt(kind, 2, LATER, boxes[2])]
    frames = np.random.default_rng(1).integers(0, 256, (12, 3, 64, 64), dtype=np.uint8)
    session = VideoSession(model, processor, torch, "cpu", "fp32", (48, 64), window=16)
    seen = {}
    with torch.inference_mode():
        timing = run_video(session, frames, prompts, lambda: None, lambda: None,
                           on_masks=lambda i, masks: seen.__setitem__(i, masks))
    state = session.session
    conditioning = {state.obj_idx_to_id(i): sorted(out["cond_frame_outputs"])
                    for i, out in state.output_dict_per_obj.items()}
    assert conditioning == {1: [FIRST], 2: [LATER]}
    assert timing.frame_indices == list(range(FIRST, 12)) and timing.prompt_frames == [0, LATER - FIRST]
    assert sorted(seen[FIRST]) == [1] and sorted(seen[LATER - 1]) == [1] and sorted(seen[LATER]) == [1, 2]
    tracked = {state.obj_idx_to_id(i): sorted(frames) for i, frames in state.frames_tracked_per_obj.items()}
    assert tracked == {1: list(range(FIRST + 1, 12)), 2: list(range(LATER + 1, 12))}
    if kind == "mask":  # a mask prompt is that frame's output: it comes back on its own frame
        for obj, frame in ((1, FIRST), (2, LATER)):
            pred, truth = seen[frame][obj], _mask(boxes[obj])
            assert (pred & truth).sum() / (pred | truth).sum() > 0.9
    session.close()
