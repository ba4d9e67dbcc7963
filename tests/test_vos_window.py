"""The bounded frame window (--max_frames_in_mem N|auto|all) on a real SAM 2.1 tiny session (random init, 64 px):
auto gives the masks of all on a 210-frame video while what the session holds stops growing; a window smaller
than the model's attention changes the mask logits (so the equality is a real check)."""

import numpy as np
import pytest

pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

from harness.video.frame_loop import memory_slope_mb_per_frame, run_video  # noqa: E402
from harness.tasks.vos import ObjectPrompt  # noqa: E402
from harness.video.models import architecture_config, architecture_of, build_random, make_processor  # noqa: E402
from harness.video.session import VideoSession  # noqa: E402
from harness.video.window import held_frames, held_mb, window_size  # noqa: E402

FRAMES = 210


@pytest.fixture(scope="module")
def tiny():
    """Random init says "no object" on every frame (object score < 0: every logit is -1024, whatever the memory);
    the object-score head's bias at +10 makes every frame's masks come from the memory-conditioned decoder."""
    model = build_random(architecture_of("sam2.1_hiera_tiny"), 64, 0)
    with torch.no_grad():
        model.mask_decoder.pred_obj_score_head.proj_out.bias.fill_(10.0)
    return model, make_processor(64)


def test_auto_reads_the_models_config_and_all_keeps_everything():
    config = architecture_config(architecture_of("sam2.1_hiera_tiny"), 64)
    assert window_size("auto", config) == 16 and window_size("all", config) is None and window_size(5, config) == 5
    config.num_maskmem, config.max_object_pointers_in_encoder = 9, 4
    assert window_size("auto", config) == 8
    with pytest.raises(ValueError, match="at least 1"):
        window_size(0, config)


def test_the_slope_is_least_squares_over_the_second_half():
    assert memory_slope_mb_per_frame([100.0] * 10 + [0.5 * i for i in range(10, 20)]) == pytest.approx(0.5)
    assert memory_slope_mb_per_frame([5.0, None, 6.0]) is None


class LogitSession(VideoSession):
    """The session, also keeping each frame's low-resolution mask logits (what the masks are thresholded from)."""

    logits: list

    def masks(self, output) -> dict:
        self.logits.append(output.pred_masks.clone())
        return super().masks(output)


def _run(tiny, setting, frames, prompts):
    model, processor = tiny
    session = LogitSession(model, processor, torch, "cpu", "fp32", (48, 64), window_size(setting, model.config))
    session.logits, seen = [], {}
    with torch.inference_mode():
        timing = run_video(session, frames, prompts, lambda: None, lambda: held_mb(session.session),
                           on_masks=lambda i, masks: seen.__setitem__(i, masks))
    held = held_frames(session.session)
    logits = session.logits
    session.close()
    return seen, timing, held, logits


def _video(frames_n):
    frames = np.random.default_rng(0).integers(0, 256, (frames_n, 3, 64, 64), dtype=np.uint8)
    prompts = [ObjectPrompt(1, 3, "points", points=[[25, 20]]), ObjectPrompt(2, 40, "bbox", box=[5, 5, 30, 30])]
    return frames, prompts


@pytest.mark.slow
def test_auto_gives_the_masks_of_all_with_flat_memory(tiny):
    frames, prompts = _video(FRAMES)
    auto, auto_timing, auto_held, auto_logits = _run(tiny, "auto", frames, prompts)
    every, all_timing, all_held, all_logits = _run(tiny, "all", frames, prompts)
    assert all(torch.equal(a, b) for a, b in zip(auto_logits, all_logits)) and len(auto_logits) == FRAMES - 3
    assert sorted(auto) == sorted(every) == list(range(3, FRAMES))
    assert all(every[i][1].any() for i in every) and not all(every[i][1].all() for i in every)
    for index in every:
        assert sorted(auto[index]) == sorted(every[index])
        for obj in every[index]:
            assert np.array_equal(auto[index][obj], every[index][obj]), (index, obj)
    # auto: 16 frames besides the 2 prompted ones; all: every frame since the first prompt
    assert auto_held == {"input_frames_n": 18, "non_cond_outputs_n": 32, "cond_outputs_n": 2}
    assert all_held["input_frames_n"] == FRAMES - 3
    assert memory_slope_mb_per_frame(auto_timing.memory_by_frame_mb) == pytest.approx(0.0, abs=1e-9)
    assert memory_slope_mb_per_frame(all_timing.memory_by_frame_mb) > 0.01


def test_a_window_smaller_than_the_models_attention_changes_the_logits(tiny):
    frames, prompts = _video(30)
    _, _, held, small = _run(tiny, 2, frames, prompts)
    _, _, _, every = _run(tiny, "all", frames, prompts)
    assert held["input_frames_n"] == 3  # the last 2 frames and the prompted frame 3
    assert torch.equal(small[0], every[0]) and small[0].min() > -1024  # the prompt frame reads no memory
    assert not all(torch.equal(a, b) for a, b in zip(small, every))


def _live_tensors() -> tuple:
    """(count, bytes) of every torch tensor the process holds (the model's weights included)."""
    import gc

    gc.collect()
    tensors = [o for o in gc.get_objects() if torch.is_tensor(o) and not o.is_meta]
    return len(tensors), sum(t.numel() * t.element_size() for t in tensors)


def test_with_auto_the_process_holds_the_same_tensors_after_the_window_is_full(tiny):
    """Beyond the session: every tensor the process holds, counted and summed once the window has filled (frame 60)
    and 40 frames later, is the same set in number and bytes. What the host's RSS still gains per frame on a long
    CPU run is the native allocator's, not data the run keeps."""
    model, processor = tiny
    frames, prompts = _video(100)
    session = VideoSession(model, processor, torch, "cpu", "fp32", (48, 64), window_size("auto", model.config))
    seen = {}
    with torch.inference_mode():
        run_video(session, frames, prompts, lambda: None, lambda: None,
                  on_masks=lambda i, masks: seen.__setitem__(i, _live_tensors()), wants_masks=lambda i: i in (60, 99))
    session.close()
    assert seen[60] == seen[99] and seen[60][0] > 100
