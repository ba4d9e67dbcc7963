"""The video workload's seam: what the rest of the harness asks of the video models (SAM 2 / SAM 2.1 / EdgeTAM), in
one place, so no other part names their task or knows where their code lives.

Whether a model record, a planned run or a result belongs to the video workload is
:func:`harness.tasks.task_settings.is_video`, defined once beside the task names (below every part that asks, the
run identity and the trtexec check included). What a phase or the parent then does with a video model is here:

- model discovery (harness/phase_a/model_discovery.py): :func:`builtin_files`, a video architecture named with
  ``--models`` and no file; :func:`is_video_source`, a source that is a video model;
- Phase A (harness/phase_a/setup_main.py): :func:`setup`, the model's record and model cards, its exported image
  encoder and TensorRT engines (harness/video/model_setup.py); :func:`check_annotations`, the data has a prompted
  object when only video models are asked for;
- the planner (harness/phase_a/run_planner.py): :func:`planned_prompts`, :func:`plan` (the card a run loads, or why it
  cannot run: harness/video/plan.py) and :func:`planned_vos_model`;
- ``--skip_setup`` (harness/parent/setup_reuse.py): :func:`video_prompts` and :func:`with_prompts`.

Phase B (harness/phase_b/inference_main.py) runs a video run with harness/phase_b/video_executor.py, and the run's
identity adds the video models' libraries (harness/records/run_identity.py). Nothing here imports torch or transformers:
the parent imports this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from harness.errors import UserError
from harness.tasks.task_settings import is_video
from harness.video.models import is_vos_name, split_prompt
from harness.video.plan import vos_artifact

BUILTIN = "vos"  # a model source's files entry for a video architecture named without a file (random-init)


def builtin_files(name: str) -> Optional[dict]:
    """The files of a model named without a file, when the name is a video architecture (``sam2.1_hiera_tiny``)."""
    return {BUILTIN: name} if is_vos_name(name) else None


def is_video_source(source) -> bool:
    """A model source (harness.phase_a.model_discovery.ModelSource) that is a video model: a built-in architecture,
    a Hugging Face video model folder, or an original checkpoint named as its architecture."""
    files = source.files
    return BUILTIN in files or "hf_folder" in files or ("pt" in files and is_vos_name(source.name))


def setup(source, root: Path, opts, device: dict, budget_mb: Optional[float]) -> dict:
    """Phase A's record of a video model (harness/video/model_setup.py)."""
    from harness.video.model_setup import prepare_vos_model

    return prepare_vos_model(source, root, opts, device, budget_mb)


def check_annotations(models: list, meta: dict, spec) -> None:
    """Only video models asked for and no video with a prompted object in the data: one line, exit 2."""
    wanted = [m for m in models if not m.get("refused")]
    if wanted and all(is_video(m) for m in wanted) and not any(
            (seq.get("vos") or {}).get("objects") for seq in meta["sequences"]):
        raise UserError(f"{spec.describe()}: no video with annotated objects for the video models (an SA-V split holds "
                        "Annotations_6fps/<video>/<object>/<frame>.png, a DAVIS split Annotations/480p/<video>/)")


def planned_prompts(model: dict) -> list:
    """The prompts a video model's runs are planned with: those named with it or by --prompt, else points."""
    return model.get("prompts") or ["points"]


def plan(model: dict, spec, device: dict) -> tuple:
    """(model card or None, skip status or None, skip reason or None) for one run of a video model."""
    return vos_artifact(model, spec, device)


def planned_vos_model(model: dict, spec) -> Optional[dict]:
    """The architecture record a planned run with a prompt carries besides its spec (its prompt is in the spec)."""
    return model.get("vos") if spec.modes.prompt else None


def video_prompts(names: list) -> tuple:
    """(model names, prompts named with them): ``sam2_base_points`` is the prepared ``sam2_base`` with ``points``."""
    models, prompts = [], {}
    for name in names:
        model, prompt = split_prompt(name)
        models += [] if model in models else [model]
        if prompt:
            prompts.setdefault(model, []).append(prompt)
    return models, prompts


def with_prompts(model: dict, named: dict, opts) -> dict:
    """A video model's record with the prompts asked for now (prompts of every kind are in the metadata already)."""
    if not is_video(model):
        return model
    prompts = named.get(model["name"]) or (opts.prompt if "prompt" in opts.explicit else model.get("prompts"))
    return {**model, "prompts": list(prompts)}
