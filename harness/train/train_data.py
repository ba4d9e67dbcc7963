"""What a training run trains on: a dataset YAML (checked: nothing it names may need a download), an ImageFolder
tree for a classifier, or the generated data for the model's task. No download is ever attempted."""

from __future__ import annotations

from pathlib import Path

from harness.errors import UserError

GENERATED = ("detect", "segment", "classify")


def check_dataset_yaml(path: Path) -> None:
    """A dataset YAML that would download anything is refused in one line (Ultralytics fetches what its
    ``download:`` key names when the images are missing)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"--train_data {path}: not a readable dataset YAML ({type(exc).__name__})") from None
    if not isinstance(data, dict) or "train" not in data or "val" not in data:
        raise UserError(f"--train_data {path}: a dataset YAML names train and val images (Ultralytics' format)")
    if data.get("download"):
        raise UserError(f"--train_data {path}: it names a download (its 'download:' key); nothing is downloaded "
                        "here: give a dataset already on disk")


def resolve_training_data(data: str | None, task: str, generated_root: Path, seed: int = 0) -> str:
    """The ``data`` argument for Ultralytics' trainer."""
    if data is None:
        if task not in GENERATED:
            raise UserError(f"no generated training data for {task} models: give --train_data (a dataset YAML)")
        from harness.data.synthetic_training import generate_training_data

        return str(generate_training_data(generated_root / task, task, seed=seed))
    path = Path(data).expanduser()
    if not path.exists():
        raise UserError(f"--train_data {data}: no such file or folder")
    if path.is_dir():
        if task != "classify":
            raise UserError(f"--train_data {data}: a folder (ImageFolder tree) trains classifiers (-cls models); "
                            f"{task} models take a dataset YAML")
        if not (path / "train").is_dir() or not (path / "val").is_dir():
            raise UserError(f"--train_data {data}: an ImageFolder tree holds train/<class>/ and val/<class>/")
        return str(path.resolve())
    check_dataset_yaml(path)
    return str(path.resolve())
