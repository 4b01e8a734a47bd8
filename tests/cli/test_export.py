"""`python -m ganlab.export`: a generator file that plain PyTorch runs without ganlab, giving
the images ganlab's own `model.generate` gives."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from ganlab.errors import UsageError
from ganlab.export import entry, export_generator
from ganlab.nets.export import METADATA_FILE
from ganlab.run.checkpoint import load_module
from ganlab.run.config import CONF_DIR
from ganlab.sampling.latents import latent_vectors
from tests.helpers import run_cli

FORMATS = {"torchscript": ".pt", "pt2": ".pt2"}
RUNS = ("dcgan_run", "cdcgan_run")
BATCH = 5  # not the batch the export traced with: the batch size is free

LOAD_WITHOUT_GANLAB = """
import sys
sys.path.append(sys.argv[1])  # torch's site-packages only, none of its .pth files
try:
    import ganlab
except ImportError:
    print("ganlab is not importable")
else:
    sys.exit(f"ganlab imported from {ganlab.__file__}")
import torch
for name in sys.argv[2:]:
    inputs = torch.load(f"{name}.inputs")
    if name.endswith(".pt2"):
        generator = torch.export.load(name).module()
    else:
        generator = torch.jit.load(name)
    with torch.no_grad():
        torch.save(generator(*inputs), f"{name}.images")
"""


def export_in_process(*overrides: str) -> Path:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return export_generator(compose("export", overrides=list(overrides)))


def checkpoint(request: pytest.FixtureRequest, run: str) -> Path:
    return request.getfixturevalue(run) / "checkpoints" / "last.ckpt"


def inputs_for(ckpt: Path) -> tuple[torch.Tensor, ...]:
    model = load_module(ckpt)
    z = latent_vectors(BATCH, model.latent_dim, 3)
    return (z, torch.arange(BATCH) % model.num_classes) if model.conditional else (z,)


@pytest.fixture(scope="module")
def exports(request, tmp_path_factory):
    """Every run in every format: the dcgan TorchScript one through the real CLI."""
    folder = tmp_path_factory.mktemp("exports")
    files = {}
    for run in RUNS:
        ckpt = checkpoint(request, run)
        for fmt, suffix in FORMATS.items():
            out = folder / f"{run}_{fmt}{suffix}"
            args = (f"ckpt_path={ckpt}", f"format={fmt}", f"out={out}")
            if (run, fmt) == ("dcgan_run", "torchscript"):
                result = run_cli("ganlab.export", *args)
                assert result.returncode == 0, result.stderr[-3000:]
                assert f"wrote {out}: torchscript generator g(z)" in result.stdout
            else:
                export_in_process(*args)
            torch.save(inputs_for(ckpt), f"{out}.inputs")
            files[run, fmt] = out
    return folder, files


@pytest.fixture(scope="module")
def loaded_without_ganlab(exports):
    """Each file run by an interpreter that cannot import ganlab: isolated mode (-I: no
    PYTHONPATH, no user site, no current folder), no site module (-S: no .pth files, so not
    the editable install either), torch's folder alone on sys.path."""
    folder, files = exports
    torch_site = str(Path(torch.__file__).resolve().parents[1])
    names = [path.name for path in files.values()]
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", LOAD_WITHOUT_GANLAB, torch_site, *names],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result, files


def test_ganlab_is_not_importable_where_the_files_are_loaded(loaded_without_ganlab):
    result, _ = loaded_without_ganlab
    assert "ganlab is not importable" in result.stdout


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("run", RUNS)
def test_same_images_as_model_generate(request, loaded_without_ganlab, run, fmt):
    _, files = loaded_without_ganlab
    out = files[run, fmt]
    inputs = torch.load(f"{out}.inputs")
    expected = load_module(checkpoint(request, run)).generate(*inputs)
    images = torch.load(f"{out}.images")
    assert images.shape == expected.shape == (BATCH, 1, 28, 28)
    # the same maths; only the CPU kernel of the last convolution may differ (ImageConvTranspose2d)
    torch.testing.assert_close(images, expected, atol=1e-5, rtol=0)
    assert images.std() > 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_file_says_what_to_feed_it(exports, fmt):
    _, files = exports
    out = files["cdcgan_run", fmt]
    extra = {METADATA_FILE: ""}
    if fmt == "pt2":
        torch.export.load(out, extra_files=extra)
    else:
        torch.jit.load(out, _extra_files=extra)
    info = json.loads(extra[METADATA_FILE])
    assert info["latent_dim"] == 100 and info["num_classes"] == 10
    assert info["inputs"]["labels"] == "(N,) int64 class indices in 0..9"
    assert info["image_shape"] == [1, 28, 28] and info["format"] == fmt


def test_default_out_is_beside_the_run(dcgan_run):
    out = export_in_process(f"ckpt_path={dcgan_run / 'checkpoints' / 'last.ckpt'}")
    assert out == dcgan_run / "exported" / "last_generator.pt2" and out.is_file()
    shutil.rmtree(out.parent)  # the run folder is shared with other tests


def test_an_existing_file_is_kept_unless_overwrite(dcgan_run, tmp_path):
    ckpt = dcgan_run / "checkpoints" / "last.ckpt"
    out = tmp_path / "g.pt2"
    out.write_bytes(b"mine")
    with pytest.raises(UsageError, match=r"already exists: choose another out=, or .*overwrite"):
        export_in_process(f"ckpt_path={ckpt}", f"out={out}")
    assert out.read_bytes() == b"mine"
    export_in_process(f"ckpt_path={ckpt}", f"out={out}", "overwrite=true")
    assert torch.export.load(out) is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.pt2"], "no temporary file left"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ([], "ckpt_path= is required"),
        (["format=onnx"], "format must be one of ['torchscript', 'pt2'], got 'onnx'"),
        (["format=torchscript", "out={tmp}/g.pt2"], "must end in .pt for format=torchscript"),
        (["overwrite=maybe"], "overwrite must be true or false"),
    ],
)
def test_bad_options_one_line_exit_2_nothing_written(
    dcgan_run, tmp_path, monkeypatch, capsys, overrides, message
):
    ckpt = dcgan_run / "checkpoints" / "last.ckpt"
    args = [f"ckpt_path={ckpt}"] if overrides else []
    args += [o.format(tmp=tmp_path) for o in overrides]
    monkeypatch.setattr(sys, "argv", ["ganlab.export", *args])
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    capsys.readouterr()
    try:
        with pytest.raises(SystemExit) as exit:
            entry()
    finally:
        GlobalHydra.instance().clear()
    err = capsys.readouterr().err
    assert exit.value.code == 2
    assert err.startswith("ganlab: error: ") and err.count("\n") == 1
    assert message in err
    assert list(tmp_path.iterdir()) == []
    assert not (dcgan_run / "exported").exists()
