"""The bounded frame window of a streaming SAM 2 / EdgeTAM session (``--max_frames_in_mem N|auto|all``).

A transformers video session keeps every frame it was given (the normalized input), and every object's outputs on
every frame (memory features, their positional encodings, the masks, the object pointer): its memory grows by
that much per frame for the whole video. Tracking frame t reads only

- the conditioning (prompted) frames' outputs,
- the non-prompted outputs of frames t-1 ... t-(num_maskmem-1) (the memory bank), and
- the object pointers of frames t-1 ... t-(max_object_pointers_in_encoder-1),

so after each frame the window drops everything older than its last N frames, prompted frames excepted. ``auto``
is N = max(num_maskmem - 1, max_object_pointers_in_encoder), read from the model's config (16 for every published
SAM 2 / SAM 2.1 / EdgeTAM config): one frame more than tracking reads, so the masks are those of ``all``, the
library's keep-everything. A smaller N gives the model less memory than it was trained with (masks then differ).
"""

from __future__ import annotations

from typing import Optional, Union

WINDOW_CHOICES = ("auto", "all")


def attended_frames(config) -> int:
    """How many past frames the model reads from its config: max(num_maskmem - 1, max_object_pointers_in_encoder)."""
    return max(int(config.num_maskmem) - 1, int(config.max_object_pointers_in_encoder))


def window_size(setting: Union[int, str], config) -> Optional[int]:
    """Frames the session keeps besides its prompted ones: N, the model's own need for ``auto``, None for ``all``."""
    if setting == "all":
        return None
    if setting == "auto":
        return attended_frames(config)
    frames = int(setting)
    if frames < 1:
        raise ValueError(f"a frame window holds at least 1 frame, got {frames}")
    return frames


def _drop_older(store: dict, oldest_kept: int, keep: set) -> None:
    for index in [i for i in store if i < oldest_kept and i not in keep]:
        del store[index]


def trim_session(session, current: int, frames: int, prompted: set) -> None:
    """Drop from a transformers Sam2Video / EdgeTamVideo inference session what frames older than the last
    ``frames`` (``current`` included) hold, except the ``prompted`` frames: the input pixels, the cached vision
    features, and per object its non-conditioning outputs and its tracked-frame record. The conditioning outputs
    (prompted frames) and the prompts are never dropped."""
    oldest_kept = current - frames + 1
    if session.processed_frames:
        _drop_older(session.processed_frames, oldest_kept, prompted)
    _drop_older(session.cache._vision_features, oldest_kept, prompted)
    for outputs in session.output_dict_per_obj.values():
        _drop_older(outputs["non_cond_frame_outputs"], oldest_kept, set())
    for tracked in session.frames_tracked_per_obj.values():
        _drop_older(tracked, oldest_kept, prompted)


def held_frames(session) -> dict:
    """What a session holds now, counted: input frames, and non-conditioning outputs summed over objects."""
    return {"input_frames_n": len(session.processed_frames or {}),
            "non_cond_outputs_n": sum(len(o["non_cond_frame_outputs"]) for o in session.output_dict_per_obj.values()),
            "cond_outputs_n": sum(len(o["cond_frame_outputs"]) for o in session.output_dict_per_obj.values())}


def _tensor_bytes(value) -> int:
    if hasattr(value, "element_size") and hasattr(value, "nelement"):
        return int(value.element_size() * value.nelement())
    if isinstance(value, dict):
        return sum(_tensor_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_tensor_bytes(v) for v in value)
    return 0


def held_mb(session) -> float:
    """MiB of the tensors a session holds for past frames: input frames, cached features, every object's outputs
    (allocator-independent: what the window bounds)."""
    stores = (session.processed_frames or {}, session.cache._vision_features, session.output_dict_per_obj)
    return sum(_tensor_bytes(store) for store in stores) / 2**20
