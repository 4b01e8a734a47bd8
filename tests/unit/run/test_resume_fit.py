"""Which hyper-parameter differences stop a resume: any model value, a key one side lacks
included; of the data settings, those that change the batches."""

from ganlab.run.resume import DATA_LOCATION_ONLY, differences

SAVED = {"net": {"generator": {"_target_": "ganlab.nets.dcgan28.Generator", "negative_slope": 0.3}}}


def current(**options) -> dict:
    return {"net": {"generator": {**SAVED["net"]["generator"], **options}}}


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


def test_data_settings_that_change_the_batches_are_differences_where_they_live_is_not():
    saved = {"root": "/a", "splits": ["train", "test"], "batch_size": 128, "num_workers": 0}
    moved = {**saved, "root": "/b", "num_workers": 4, "on_device": True}
    assert differences(saved, moved, "data", DATA_LOCATION_ONLY) == []
    assert differences(
        saved, {**moved, "splits": ("test",), "batch_size": 64}, "data", DATA_LOCATION_ONLY
    ) == [
        "data.batch_size: 128 in the checkpoint, 64 now",
        "data.splits: ['train', 'test'] in the checkpoint, ['test'] now",
    ]
