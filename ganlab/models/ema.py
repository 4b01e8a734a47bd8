"""An exponential moving average (EMA) of the generator's weights, the copy samples are drawn
from (Karras et al. 2018, Yazici et al. 2019). After generator update t the copy becomes
`decay · W_ema + (1 - decay) · W_t` (torch's `get_ema_multi_avg_fn`), or W_t while t <= `start`.
Batch-norm buffers are copied, as StyleGAN2-ADA does (recomputing them would change the run and
its exact resume). Not `AveragedModel`: it reads its step counter on the host, a device sync.
"""

import copy

import torch
from torch import nn
from torch.optim.swa_utils import get_ema_multi_avg_fn


class GeneratorEMA(nn.Module):
    """The averaged copy (`self.generator`: no gradients, in no optimizer; in the checkpoint's
    `state_dict` as `ema.generator.*`), updated after every generator step."""

    def __init__(self, generator: nn.Module, decay: float, start: int = 0):
        super().__init__()
        self.decay, self.start = decay, start
        self.generator = copy.deepcopy(generator).requires_grad_(False)
        self.average = get_ema_multi_avg_fn(decay)

    @torch.no_grad()
    def update(self, live: nn.Module, step: int) -> None:
        """Fold in the live generator's weights after generator update number `step`."""
        averaged = [p.detach() for p in self.generator.parameters()]
        current = [p.detach() for p in live.parameters()]
        if step <= self.start:
            for mine, theirs in zip(averaged, current, strict=True):
                mine.copy_(theirs)
        elif averaged:
            self.average(averaged, current, step)
        for mine, theirs in zip(self.generator.buffers(), live.buffers(), strict=True):
            mine.copy_(theirs)
