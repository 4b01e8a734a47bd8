"""The CPU dropout's mask: the right rate, the right scale, the input's layout."""

import pytest
import torch

from ganlab.nets.layers import Dropout, keep_mask

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5])
def test_drops_a_share_p_and_keeps_the_mean(p):
    torch.manual_seed(0)
    x = torch.ones(64, 32, 16, 16)
    y = Dropout(p).train()(x)
    dropped = (y == 0).float().mean().item()
    assert dropped == pytest.approx(p, abs=0.005)
    assert y[y != 0].unique().tolist() == pytest.approx([1 / (1 - p)])
    assert y.mean().item() == pytest.approx(1.0, abs=0.01)


def test_gradient_flows_through_the_kept_elements_only():
    torch.manual_seed(0)
    x = torch.randn(8, 4, 6, 6, requires_grad=True)
    y = Dropout(0.3).train()(x)
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert torch.equal(grad == 0, y == 0)
    assert torch.allclose(grad[y != 0], torch.full_like(grad[y != 0], 1 / 0.7))


def test_mask_follows_a_channels_last_input_and_lanes_are_independent():
    torch.manual_seed(0)
    x = torch.randn(16, 8, 5, 5).to(memory_format=torch.channels_last)
    mask = keep_mask(x, 0.5)
    assert mask.shape == x.shape
    assert mask.is_contiguous(memory_format=torch.channels_last)
    # neighbouring elements come from different 16-bit lanes of one word: not correlated
    flat = keep_mask(torch.empty(400_000), 0.5).float().view(-1, 4)
    assert torch.corrcoef(flat.T).fill_diagonal_(0).abs().max() < 0.01


def test_evaluation_and_edge_rates_are_torch_dropout():
    x = torch.randn(4, 3, 8, 8)
    assert torch.equal(Dropout(0.3).eval()(x), x)
    assert torch.equal(Dropout(0.0).train()(x), x)
    assert torch.equal(Dropout(1.0).train()(x), torch.zeros_like(x))


def test_seeded_masks_repeat():
    x = torch.randn(4, 3, 8, 8)
    torch.manual_seed(5)
    first = Dropout(0.3).train()(x)
    torch.manual_seed(5)
    assert torch.equal(Dropout(0.3).train()(x), first)
