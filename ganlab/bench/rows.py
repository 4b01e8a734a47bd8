"""The benchmark's rows: a model preset, its Hydra overrides and the batch size it is timed at.

Every row trains on MNIST (resized to 64×64 for the 64×64 networks; one channel, like the
book's grayscale LEGO bricks). CPU batches keep the default run near ten minutes on two
cores; CUDA batches are the books' and tutorials' (the MNIST tutorial's 256, the Radford /
book DCGAN's 128, the book's WGAN-GP 512).
"""

from dataclasses import dataclass
from pathlib import Path

from ganlab.run.config import CONF_DIR


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    preset: str
    overrides: tuple[str, ...]
    cpu_batch: int
    cuda_batch: int
    # timed generator steps on the CPU (each contender); CUDA steps are cheap: 50
    cpu_steps: int = 20
    # the TensorFlow tutorial in Keras is timed beside this row when TensorFlow is installed
    keras: bool = False

    def batch(self, device: str) -> int:
        return self.cuda_batch if device == "cuda" else self.cpu_batch

    @property
    def available(self) -> bool:
        return (Path(CONF_DIR) / "model" / f"{self.preset}.yaml").is_file()


ROWS = (
    Row(
        "dcgan",
        "DCGAN 28×28 (default MNIST), alternating",
        "dcgan",
        ("model.update=alternating",),
        cpu_batch=256,
        cuda_batch=256,
    ),
    Row(
        "dcgan_simultaneous",
        "DCGAN 28×28 (MNIST), simultaneous (TF tutorial)",
        "dcgan",
        ("model.update=simultaneous",),
        cpu_batch=256,
        cuda_batch=256,
        keras=True,
    ),
    Row(
        "dcgan64",
        "DCGAN 64×64",
        "dcgan64",
        ("data.image_size=64",),
        cpu_batch=64,
        cuda_batch=128,
    ),
    Row(
        "wgan_gp",
        "WGAN-GP 64×64, n_critic 5",
        "wgan_gp",
        ("model.n_critic=5", "data.image_size=64"),
        cpu_batch=32,
        cuda_batch=512,
        cpu_steps=10,
    ),
    Row(
        "cdcgan",
        "cDCGAN 28×28 (MNIST labels)",
        "cdcgan",
        (),
        cpu_batch=256,
        cuda_batch=256,
    ),
)

ROW_KEYS = tuple(row.key for row in ROWS)


def rows_named(keys: list[str] | None) -> list[Row]:
    if not keys:
        return list(ROWS)
    unknown = sorted(set(keys) - set(ROW_KEYS))
    if unknown:
        raise ValueError(f"unknown rows {unknown}; choose from {list(ROW_KEYS)}")
    return [row for row in ROWS if row.key in keys]
