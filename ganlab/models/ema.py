"""An exponential moving average (EMA) of the generator's weights, the copy samples are drawn
from (Karras et al. 2018, Yazici et al. 2019): the live generator's weights oscillate with the
adversarial game, their average usually draws cleaner images.

After generator update t (t = `global_step` after it: 1, 2, …) the copy's parameters become
`decay · W_ema + (1 - decay) · W_t` — torch's `get_ema_multi_avg_fn`, the library's EMA — and
while t <= `start` they are a plain copy of W_t (the average starts from the weights at
update `start`, so a short run is not an average with its random initialisation). The copy
starts as the initial generator, so with `start=0` update 1 gives `decay · W_0 + (1 - decay) ·
W_1`.

Batch-norm statistics are copied, not averaged or recomputed: after every update the copy's
buffers (running mean and variance) are the live generator's, as StyleGAN2-ADA does and as
torch's `AveragedModel(use_buffers=False)` does. They describe the live weights' activations,
which the average tracks closely at the decays used (0.99 to 0.9999); recomputing them for the
averaged weights would take extra forward passes of random latents every time samples are
drawn, and those random draws would change the training run (and its exact resume).

Not `AveragedModel` itself: its `update_parameters` reads its step counter tensor on the host
(`bool(self.n_averaged == 0)`), a device synchronisation after every update on a GPU; here the
step is `global_step`, a Python number Lightning already checkpoints, so the average is a
function of the saved weights and the step, and resumes exactly.
"""

import copy

import torch
from torch import nn
from torch.optim.swa_utils import get_ema_multi_avg_fn

from ganlab.run.values import Rule, at_least, in_unit_interval

RULES = (
    Rule("ema.decay", "number", "in [0, 1) (e.g. 0.999)", in_unit_interval, nullable=True),
    Rule("ema.start", "integer", ">= 0", at_least(0)),
)
"""`model.ema.*`: null decay switches the average off."""


class GeneratorEMA(nn.Module):
    """The averaged copy of a generator (`self.generator`, never trained: no gradients, in no
    optimizer), updated by `update` after every generator step. Its weights are module state,
    so they are in the checkpoint's `state_dict` as `ema.generator.*`."""

    def __init__(self, generator: nn.Module, decay: float, start: int = 0):
        super().__init__()
        self.decay = decay
        self.start = start
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
