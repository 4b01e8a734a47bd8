"""A training loader that a resumed run continues exactly where the checkpoint left it.

Lightning stores `state_dict()` of any loader that has one in every checkpoint and hands it
back through `load_state_dict()` on resume (its "stateful dataloader" interface). Here the
shuffle order is a pure function of (seed, epoch), drawn from private generators, so:

- a resumed run draws the same order as the uninterrupted run, and skips the batches the
  checkpoint had already trained on (a checkpoint written mid-epoch resumes mid-epoch);
- iterating the loader never touches the global random generators, which the training steps
  use for noise, dropout and label noise and which ganlab restores separately
  (`ganlab.callbacks.RandomState`).

Under DDP Lightning swaps the sampler for a distributed one; the loader then keeps no position
and a resumed run restarts its epoch (exact resume holds at epoch boundaries only).
"""

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler


def derived_seed(*numbers: int) -> int:
    """A well-mixed 63-bit seed from several integers (seed, epoch, purpose)."""
    sequence = np.random.SeedSequence([n % 2**63 for n in numbers])
    return int(sequence.generate_state(1, np.uint64)[0]) >> 1


class EpochShuffle(Sampler[int]):
    """A new random order every epoch that depends only on (seed, epoch).

    Lightning calls `set_epoch` before each epoch. `resume_at = (epoch, index)` makes the next
    pass start at `index`, if that pass is of `epoch` (set when a run resumes mid-epoch;
    Lightning closes the epoch of a run that stopped on max_steps, and its resume then starts
    the next epoch from the beginning).
    """

    def __init__(self, size: int, seed: int):
        self.size = size
        self.seed = seed
        self.epoch = 0
        self.resume_at: tuple[int, int] | None = None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.size

    def next_start(self) -> int:
        """The index the next pass starts at."""
        resuming = self.resume_at is not None and self.resume_at[0] == self.epoch
        return self.resume_at[1] if resuming else 0

    def __iter__(self) -> Iterator[int]:
        start, self.resume_at = self.next_start(), None
        generator = torch.Generator().manual_seed(derived_seed(self.seed, self.epoch, 0))
        yield from torch.randperm(self.size, generator=generator)[start:].tolist()


class ResumableLoader(DataLoader):
    """A DataLoader over an `EpochShuffle` that knows how many samples of the current epoch it
    has delivered, and can be told to continue from there.

    It takes DataLoader's own arguments (Lightning re-creates loaders from them) and needs a
    `generator`: worker seeds come from it, re-seeded from (seed, epoch) every pass.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.delivered = 0

    def __iter__(self) -> Iterator[Any]:
        if not isinstance(self.sampler, EpochShuffle):
            yield from super().__iter__()
            return
        sampler = self.sampler
        self.generator.manual_seed(derived_seed(sampler.seed, sampler.epoch, 1))
        self.delivered = sampler.next_start()
        for batch in super().__iter__():
            self.delivered += self.batch_size
            yield batch

    def state_dict(self) -> dict[str, int]:
        if not isinstance(self.sampler, EpochShuffle):
            return {}
        return {"seed": self.sampler.seed, "epoch": self.sampler.epoch, "delivered": self.delivered}

    def load_state_dict(self, state: dict[str, int]) -> None:
        if not state or not isinstance(self.sampler, EpochShuffle):
            return
        sampler = self.sampler
        sampler.seed = state["seed"]
        if state["delivered"] + self.batch_size > sampler.size:  # the epoch was finished
            sampler.epoch = state["epoch"] + 1
        else:
            sampler.epoch = state["epoch"]
            sampler.resume_at = (state["epoch"], state["delivered"])
