"""One training run as a typed record: model (an Ultralytics architecture, task suffix included), approach,
data, epochs, image size, batch, device, seed. Pure data: the parent, the child and the tests share it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

from harness.files.unique_names import safe_name

APPROACHES = ("scratch", "finetune")
TASK_SUFFIXES = {"-seg": "segment", "-cls": "classify", "-pose": "pose", "-obb": "obb"}


def task_of(model: str) -> str:
    """``yolo11n-seg`` -> segment, ``yolo11n-cls`` -> classify, ``yolo11n`` -> detect (Ultralytics' names)."""
    for suffix, task in TASK_SUFFIXES.items():
        if model.endswith(suffix):
            return task
    return "detect"


@dataclass(frozen=True)
class TrainSpec:
    model: str
    approach: str                 # scratch | finetune (from <weights_dir>/<model>.pt)
    data: Optional[str]           # a dataset YAML, an ImageFolder root, or None: the generated data for the task
    epochs: int
    imgsz: int
    batch: int
    device: str                   # auto | cpu | cuda | cuda:N
    seed: int = 0

    @property
    def task(self) -> str:
        return task_of(self.model)

    @property
    def train_id(self) -> str:
        return f"{safe_name(self.model)}__{self.approach}__e{self.epochs}__img{self.imgsz}__b{self.batch}"

    @property
    def weights_name(self) -> str:
        """The trained checkpoint's file in <out_dir>/weights: the model's name (a finetune is marked)."""
        return f"{safe_name(self.model)}.pt" if self.approach == "scratch" else f"{safe_name(self.model)}-finetune.pt"

    def to_dict(self) -> dict:
        return {**asdict(self), "task": self.task, "train_id": self.train_id}

    @classmethod
    def from_dict(cls, data: dict) -> "TrainSpec":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def train_specs(models: list, approaches: list, data: Optional[str], epochs: int, imgsz: int, batch: int,
                device: str, seed: int = 0) -> list:
    """The training matrix: model x approach, in a stable order."""
    return [TrainSpec(m, a, data, epochs, imgsz, batch, device, seed) for m in models for a in approaches]
