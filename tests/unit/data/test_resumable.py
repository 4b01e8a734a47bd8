"""The resumable loader: its order depends only on (seed, epoch), it leaves the global random
generators alone, and a loader restored from `state_dict()` delivers exactly the rest."""

import random

import numpy as np
import pytest
import torch

from ganlab.callbacks.random_state import random_states, set_random_states
from ganlab.data.resumable import EpochShuffle, ResumableLoader

SIZE, BATCH = 20, 4


def loader(seed: int = 7) -> ResumableLoader:
    return ResumableLoader(
        torch.arange(SIZE),
        batch_size=BATCH,
        sampler=EpochShuffle(SIZE, seed=seed),
        generator=torch.Generator(),
        drop_last=True,
    )


def batches(data: ResumableLoader, epoch: int) -> list[list[int]]:
    data.sampler.set_epoch(epoch)
    return [batch.tolist() for batch in data]


def test_order_is_a_function_of_seed_and_epoch_only():
    first = batches(loader(), 0)
    torch.manual_seed(123)
    assert batches(loader(), 0) == first
    assert batches(loader(), 1) != first
    assert batches(loader(seed=8), 0) != first
    assert sorted(i for batch in first for i in batch) == list(range(SIZE))


def test_iterating_leaves_the_global_generators_alone():
    torch.manual_seed(0)
    state = torch.get_rng_state()
    batches(loader(), 0)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("taken", [0, 2, 5])
def test_a_restored_loader_delivers_the_rest(taken):
    original = loader()
    original.sampler.set_epoch(3)
    iterator = iter(original)
    seen = [next(iterator).tolist() for _ in range(taken)]
    state = original.state_dict()

    fresh = loader(seed=99)
    fresh.load_state_dict(state)
    rest = [batch.tolist() for batch in fresh]
    if taken == SIZE // BATCH:  # a finished epoch: the next one starts from its beginning
        assert rest == batches(loader(), 4)
    else:
        assert seen + rest == batches(loader(), 3)
    assert batches(fresh, 5) == batches(loader(), 5), "later epochs are unaffected"


def test_random_states_round_trip_through_a_weights_only_checkpoint(tmp_path):
    torch.save(random_states(), tmp_path / "states.pt")
    expected = (random.random(), np.random.rand(), torch.rand(3))
    set_random_states(torch.load(tmp_path / "states.pt", weights_only=True))
    again = (random.random(), np.random.rand(), torch.rand(3))
    assert expected[:2] == again[:2] and torch.equal(expected[2], again[2])


def test_a_position_applies_only_to_its_own_epoch():
    """Lightning closes the epoch of a run stopped by max_steps; its resume starts the next."""
    original = loader()
    iterator = iter(original)
    next(iterator)
    fresh = loader()
    fresh.load_state_dict(original.state_dict())
    assert batches(fresh, 1) == batches(loader(), 1)
