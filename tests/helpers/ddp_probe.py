"""A callback the DDP test adds from the command line: each rank records what it trained on
and the weights it ended with, so the test can compare ranks with each other and with the
checkpoint."""

from pathlib import Path

import torch
from lightning.pytorch import Callback, LightningModule, Trainer


class RecordRank(Callback):
    def __init__(self, dirpath: str):
        self.dirpath = Path(dirpath)
        self.images: list[torch.Tensor] = []
        self.rng_states: list[torch.Tensor] = []

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch, batch_idx):
        self.images.append(batch[0].detach().cpu().clone())
        self.rng_states.append(torch.get_rng_state())

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.dirpath.mkdir(parents=True, exist_ok=True)
        torch.save(
            {
                "images": torch.cat(self.images),
                "rng_states": self.rng_states,
                "world_size": trainer.world_size,
                "parameters": {
                    name: p.detach().cpu().clone() for name, p in pl_module.named_parameters()
                },
            },
            self.dirpath / f"rank{trainer.global_rank}.pt",
        )
