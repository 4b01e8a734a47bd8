"""Which hyper-parameter differences stop a resume: a network option newer than the
checkpoint, at its constructor's default, is no difference; any other value is."""

from ganlab.run.resume import differences

SAVED = {"net": {"generator": {"_target_": "ganlab.nets.dcgan28.Generator", "negative_slope": 0.3}}}


def current(**options) -> dict:
    return {"net": {"generator": {**SAVED["net"]["generator"], **options}}}


def test_an_option_newer_than_the_checkpoint_at_its_default_is_no_difference():
    assert differences(SAVED, current(init="default", bias=False, bn_eps=1e-5)) == []


def test_an_option_newer_than_the_checkpoint_at_another_value_is_a_difference():
    assert differences(SAVED, current(init="dcgan")) == [
        "model.net.generator.init: None in the checkpoint, 'dcgan' now"
    ]


def test_a_key_no_constructor_takes_is_a_difference():
    assert differences(SAVED, current(colour="blue")) == [
        "model.net.generator.colour: None in the checkpoint, 'blue' now"
    ]
    unknown = {"_target_": "ganlab.nets.nowhere.Net"}
    assert differences({"net": unknown}, {"net": {**unknown, "init": "default"}}) == [
        "model.net.init: None in the checkpoint, 'default' now"
    ]
