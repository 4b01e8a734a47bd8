"""Every model preset has the EMA generator off, and builds it when `model.ema.decay` is set;
a decay outside [0, 1) stops at the config check."""

import pytest
from hydra.utils import instantiate

from ganlab.errors import UsageError
from ganlab.run.rules import check_config
from tests.conf.test_compose import MODELS, composed


@pytest.mark.parametrize("model", MODELS)
def test_every_model_preset_composes_with_the_average_off_and_builds_it_on(model):
    assert composed(f"model={model}").model.ema == {"decay": None, "start": 0}
    cfg = composed(f"model={model}", "model.ema.decay=0.999", "model.ema.start=10")
    size = 64 if "dcgan64" in cfg.model.net.generator._target_ else 28
    module = instantiate(
        cfg.model,
        image_shape=[1, size, size],
        num_classes=10,
        class_names=[str(i) for i in range(10)],
        _recursive_=False,
    )
    assert (module.ema.decay, module.ema.start) == (0.999, 10)
    assert module.ema.generator.state_dict().keys() == module.generator.state_dict().keys()


@pytest.mark.parametrize("decay", ["1.0", "-0.5", "fast"])
def test_a_decay_outside_the_unit_interval_is_refused_before_training(decay):
    with pytest.raises(UsageError, match=r"model\.ema\.decay must be"):
        check_config(composed("model=dcgan", f"model.ema.decay={decay}"))


def test_a_decay_finer_than_16_bit_weights_is_refused_and_bf16_mixed_is_not():
    with pytest.raises(UsageError, match=r"trainer\.precision=bf16-mixed \(32-bit weights\)"):
        check_config(composed("model.ema.decay=0.999", "trainer.precision=bf16-true"))
    check_config(composed("model.ema.decay=0.999", "trainer.precision=bf16-mixed"))
    check_config(composed("model.ema.decay=0.9", "trainer.precision=bf16-true"))
