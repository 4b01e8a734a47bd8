"""The one checkpoint reader: a checkpoint is data. Files that would run code when unpickled or
built are refused with one line and their code never runs; ganlab's own checkpoints, and
those naming a package the user registered, load."""

import contextlib
import pickle
import zipfile

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from ganlab.errors import UntrustedFileError, UsageError
from ganlab.models import GAN, WGAN
from ganlab.models.dcgan import DCGAN
from ganlab.run import checkpoint as reader
from ganlab.run.checkpoint import (
    TRUSTED_PREFIXES,
    load_module,
    module_from_checkpoint,
    read_checkpoint,
    registered_prefixes,
    under,
)
from tests.helpers.hostile import (
    HOSTILE,
    USER_PACKAGE,
    edited_copy,
    net,
    pickled_code,
    with_user_nets,
    write_user_package,
)


@pytest.fixture
def ckpt(dcgan_run):
    return dcgan_run / "checkpoints" / "last.ckpt"


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "code_ran"


@pytest.mark.fault
@pytest.mark.parametrize("how", ["torch", "legacy"])
def test_a_pickle_that_runs_code_is_refused_and_never_runs(tmp_path, marker, how):
    path = pickled_code(tmp_path / "model.ckpt", marker, how)
    with pytest.raises(
        UntrustedFileError,
        match=r"holds a pickled object of type \w+\.mkdir; reading it would run code",
    ):
        read_checkpoint(path)
    assert not marker.exists()


@pytest.mark.fault
def test_a_bare_pickle_that_runs_code_is_refused_and_never_runs(tmp_path, marker):
    path = pickled_code(tmp_path / "model.ckpt", marker, "pickle")
    with pytest.raises(UsageError, match=r"not a checkpoint torch can read \(UnpicklingError: Un"):
        read_checkpoint(path)
    assert not marker.exists()


def test_the_pickle_is_real_code(tmp_path, marker):
    """What the test above refuses does run code when unpickled the unsafe way."""
    pickle.loads(pickled_code(tmp_path / "m.ckpt", marker, "pickle").read_bytes())
    assert marker.is_dir()


@pytest.mark.fault
@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.id for h in HOSTILE])
def test_a_file_naming_untrusted_code_is_refused(ckpt, tmp_path, marker, hostile):
    path = edited_copy(ckpt, tmp_path / "hostile.ckpt", hostile.edit, marker)
    with pytest.raises(UntrustedFileError) as refused:
        load_module(path)
    message = str(refused.value)
    assert message.startswith(str(path))
    assert hostile.message in message
    assert "\n" not in message
    assert not marker.exists()


UNCHECKED = [h for h in HOSTILE if h.runs_code_unchecked]


@pytest.mark.parametrize("hostile", UNCHECKED, ids=[h.id for h in UNCHECKED])
def test_the_hostile_files_would_run_code_without_the_check(
    ckpt, tmp_path, marker, hostile, monkeypatch
):
    """The refusals above matter: with the trust check switched off, building runs the code."""
    monkeypatch.setattr(reader, "check_trusted", lambda *args: None)
    path = edited_copy(ckpt, tmp_path / "hostile.ckpt", hostile.edit, marker)
    with contextlib.suppress(Exception):  # building may fail once the code has run
        module_from_checkpoint(read_checkpoint(path))
    assert marker.is_dir()


@pytest.mark.parametrize("where", ["", "root"])
def test_a_hostile_datamodule_would_run_code_where_evaluate_builds_it(
    ckpt, tmp_path, marker, where
):
    """evaluate instantiates `{_target_: ganlab.datamodule, **datamodule_hyper_parameters}`."""
    edit = next(
        h.edit
        for h in HOSTILE
        if h.id == ("nested_in_datamodule" if where else "in_datamodule_hyper_parameters")
    )
    checkpoint = torch.load(edited_copy(ckpt, tmp_path / "h.ckpt", edit, marker), weights_only=True)
    config = {"_target_": checkpoint["ganlab"]["datamodule"]}
    config.update(checkpoint["datamodule_hyper_parameters"])
    with contextlib.suppress(Exception):  # the data module may fail once the code has run
        instantiate(config, _convert_="all")
    assert marker.is_dir()
    with pytest.raises(UntrustedFileError):
        read_checkpoint(tmp_path / "h.ckpt")


def test_checkpoints_written_by_train_load(dcgan_run, cdcgan_run):
    for run in (dcgan_run, cdcgan_run):
        model = load_module(run / "checkpoints" / "last.ckpt")
        assert type(model) is DCGAN
        assert type(model.generator).__module__ == "ganlab.nets.dcgan28"
    assert load_module(cdcgan_run / "checkpoints" / "last.ckpt").conditional


def test_a_registered_user_prefix_loads_and_only_then(ckpt, tmp_path, marker, monkeypatch):
    monkeypatch.syspath_prepend(str(write_user_package(tmp_path / "site")))
    path = edited_copy(ckpt, tmp_path / "user.ckpt", with_user_nets, marker)
    with pytest.raises(UntrustedFileError, match="add its import prefix to trusted_prefixes"):
        load_module(path)
    for prefix in (USER_PACKAGE, f"{USER_PACKAGE}."):
        model = load_module(path, trusted_prefixes=[prefix])
        assert type(model.generator).__module__ == USER_PACKAGE
        assert type(model.generator).__name__ == "Generator"
    saved = torch.load(ckpt, weights_only=True)["state_dict"]
    assert all(torch.equal(saved[k], v) for k, v in model.state_dict().items())


@pytest.mark.fault
@pytest.mark.parametrize(
    ("target", "message"),
    [
        (f"{USER_PACKAGE}.torch.nn.Linear", "which this installation cannot import"),
        (f"{USER_PACKAGE}evil.Generator", "outside ganlab's procedures"),
    ],
    ids=["through_its_imports", "lookalike"],
)
def test_a_registered_prefix_trusts_only_its_own_classes(
    ckpt, tmp_path, marker, monkeypatch, target, message
):
    monkeypatch.syspath_prepend(str(write_user_package(tmp_path / "site")))
    edit = lambda c, m: net(c).update(_target_=target)  # noqa: E731
    path = edited_copy(ckpt, tmp_path / "u.ckpt", edit, marker)
    with pytest.raises(UntrustedFileError, match=message):
        load_module(path, trusted_prefixes=[USER_PACKAGE])


def test_prefixes_match_whole_module_names():
    prefixes = registered_prefixes(["mylab"])
    assert prefixes == (*TRUSTED_PREFIXES, "mylab.")
    assert under("mylab.nets.Generator", prefixes)
    assert under("mylab", prefixes)
    assert not under("mylabevil.Generator", prefixes)
    assert not under("ganlab.modelsevil.X", prefixes)
    assert not under("ganlab.errors.UsageError", prefixes)
    assert registered_prefixes(OmegaConf.create(["a.b."])) == (*TRUSTED_PREFIXES, "a.b.")
    assert registered_prefixes(None) == TRUSTED_PREFIXES


@pytest.mark.fault
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mylab.", "trusted_prefixes='mylab.' is not a list of import prefixes"),
        ([""], r"trusted_prefixes=\[''\] is not a list of import prefixes"),
        (["."], "is not a list of import prefixes"),
        (["my lab."], "is not a list of import prefixes"),
        (["mylab..nets"], "is not a list of import prefixes"),
        ([3], r"trusted_prefixes=\[3\] is not a list"),
    ],
)
def test_a_bad_prefix_is_a_usage_error(ckpt, value, message):
    with pytest.raises(UsageError, match=message):
        read_checkpoint(ckpt, value)


@pytest.mark.fault
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c, m: c.pop("hyper_parameters"), r"\(hyper_parameters is missing\)"),
        (lambda c, m: c.update(state_dict=[1]), r"\(state_dict is not a dict of names\)"),
        (lambda c, m: c["state_dict"].update(w=1.0), r"\(state_dict\.w is not a tensor\)"),
        (
            lambda c, m: c["hyper_parameters"].update({3: 1}),
            r"\(hyper_parameters is not a dict of names\)",
        ),
        (
            lambda c, m: c.update(datamodule_hyper_parameters="x"),
            r"\(datamodule_hyper_parameters is not a dict",
        ),
    ],
    ids=["no_hyper_parameters", "state_dict_list", "weight_number", "non_string_key", "dm_string"],
)
def test_a_misshapen_checkpoint_is_a_usage_error(ckpt, tmp_path, marker, edit, message):
    path = edited_copy(ckpt, tmp_path / "odd.ckpt", edit, marker)
    with pytest.raises(UsageError, match=f"is not a ganlab training checkpoint {message}"):
        read_checkpoint(path)


@pytest.mark.fault
def test_a_trusted_class_this_ganlab_lacks_is_refused(ckpt, tmp_path, marker):
    path = edited_copy(ckpt, tmp_path / "new.ckpt", lambda c, m: net(c).update(
        _target_="ganlab.nets.dcgan99.Generator"), marker)  # fmt: skip
    with pytest.raises(UsageError, match=r"which this installation cannot import"):
        read_checkpoint(path)


@pytest.mark.fault
def test_weights_that_do_not_fit_are_one_usage_error(ckpt, tmp_path, marker):
    def wrong_shape(checkpoint, _):
        key = next(iter(checkpoint["state_dict"]))
        checkpoint["state_dict"][key] = torch.zeros(3)

    checkpoint = read_checkpoint(edited_copy(ckpt, tmp_path / "w.ckpt", wrong_shape, marker))
    with pytest.raises(UsageError, match=r"do not rebuild ganlab\.models\.dcgan\.DCGAN"):
        module_from_checkpoint(checkpoint)


@pytest.mark.fault
def test_a_bit_flipped_in_a_weight_is_refused_by_its_checksum(ckpt, tmp_path):
    data = bytearray(ckpt.read_bytes())
    with zipfile.ZipFile(ckpt) as archive:
        record = max(archive.infolist(), key=lambda info: info.file_size)  # the largest weight
        start = record.header_offset + 30 + len(record.filename.encode()) + len(record.extra)
    data[start + record.file_size // 2] ^= 0x01
    damaged = tmp_path / "rot.ckpt"
    damaged.write_bytes(bytes(data))
    with pytest.raises(UsageError, match=r"rot\.ckpt is damaged: its record .* checksum"):
        read_checkpoint(damaged)


@pytest.mark.fault
def test_non_finite_weights_are_refused(ckpt, tmp_path, marker):
    def diverged(checkpoint, _):
        weight = next(k for k, v in checkpoint["state_dict"].items() if v.is_floating_point())
        checkpoint["state_dict"][weight] = torch.full_like(
            checkpoint["state_dict"][weight], float("nan")
        )

    path = edited_copy(ckpt, tmp_path / "nan.ckpt", diverged, marker)
    with pytest.raises(UsageError, match=r"holds non-finite weights \(state_dict\..* NaN or inf\)"):
        read_checkpoint(path)


@pytest.mark.fault
def test_hyper_parameters_asking_for_more_than_the_file_holds_allocate_nothing(
    ckpt, tmp_path, marker
):
    """A latent size of 10^12 would ask for terabytes: the module is built on the meta device
    first and compared with the weights the file holds."""

    def huge(checkpoint, _):
        checkpoint["hyper_parameters"]["latent_dim"] = 10**12

    checkpoint = read_checkpoint(edited_copy(ckpt, tmp_path / "huge.ckpt", huge, marker))
    with pytest.raises(UsageError, match=r"build \d+ weight\(s\) its state_dict does not hold"):
        module_from_checkpoint(checkpoint)


@pytest.mark.fault
def test_lightnings_load_from_checkpoint_goes_through_the_one_reader(ckpt, tmp_path, marker):
    loaded = DCGAN.load_from_checkpoint(ckpt)
    assert isinstance(loaded, DCGAN) and loaded.hparams.latent_dim > 0
    assert GAN.load_from_checkpoint(ckpt, diagnostics=False).hparams.diagnostics is False
    with pytest.raises(UsageError, match="holds a DCGAN, not a WGAN"):
        WGAN.load_from_checkpoint(ckpt)
    hostile = next(h for h in HOSTILE if h.id == "trusted_module_then_imported_function")
    path = edited_copy(ckpt, tmp_path / "hostile.ckpt", hostile.edit, marker)
    with pytest.raises(UntrustedFileError):
        DCGAN.load_from_checkpoint(path)
    assert not marker.exists()
