"""Random generator states in every checkpoint, restored on resume.

Lightning checkpoints networks, optimizers and loop counters but not the random generators,
so a resumed run would draw different noise, dropout masks and label noise than the run it
continues. This callback saves Python's, NumPy's and torch's (CPU and every CUDA device)
generator states with each checkpoint and puts them back right before the first training
batch after a resume: the point where the uninterrupted run would next draw from them.
(Data shuffling has its own generators, see `ganlab.data.resumable`.)

Under DDP every rank starts from the same seed (and a resumed run from rank 0's saved
states): each rank then takes its own torch stream, derived from the shared one, so the ranks
draw different noise and dropout masks and a seeded run still repeats.
"""

import random
from typing import Any

import numpy as np
import torch
from lightning.pytorch import Callback, LightningModule, Trainer


def random_states() -> dict[str, Any]:
    """The states in types `torch.load(weights_only=True)` accepts (as Lightning loads them)."""
    numpy_state = np.random.get_state(legacy=False)
    states = {
        "python": random.getstate(),
        "numpy": {
            **numpy_state,
            "state": {
                **numpy_state["state"],
                "key": torch.from_numpy(numpy_state["state"]["key"].astype(np.int64)),
            },
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_random_states(states: dict[str, Any]) -> None:
    random.setstate(states["python"])
    numpy_state = states["numpy"]
    key = numpy_state["state"]["key"].numpy().astype(np.uint32)
    np.random.set_state({**numpy_state, "state": {**numpy_state["state"], "key": key}})
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


class RandomState(Callback):
    """Save the generator states with each checkpoint; restore them when a run resumes."""

    def __init__(self) -> None:
        self.pending: dict[str, Any] | None = None

    def state_dict(self) -> dict[str, Any]:
        return random_states()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.pending = state_dict

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        own_stream(trainer)

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int
    ) -> None:
        if self.pending is not None:
            set_random_states(self.pending)
            self.pending = None
            own_stream(trainer)


def own_stream(trainer: Trainer) -> None:
    """Give this rank its own torch stream, derived from the state all ranks share."""
    if trainer.world_size > 1:
        shared = int(torch.randint(2**62, (1,)).item())
        torch.manual_seed(shared + trainer.global_rank)
