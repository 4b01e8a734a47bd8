"""ganlab as a user installs it: a wheel built from the checkout, installed into a fresh virtual
environment outside the clone and run from an empty folder with no PYTHONPATH.

The environment borrows this one's dependencies through a `.pth` file (torch is not installed
twice); ganlab itself comes from the wheel alone: a `.pth` line only adds a folder to sys.path,
so the checkout's editable install in that folder (its own `.pth` hook) is never activated.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import REPO, TINY

SOURCES = ("pyproject.toml", "README.md", "conf", "ganlab")
USER_PRESET = """\
# the packaged DCGAN with a smaller latent space
defaults:
  - dcgan
  - _self_

latent_dim: 16
"""


def build_wheel(folder: Path) -> Path:
    """Build from a copy of the sources, so setuptools' build/ and egg-info stay out of the
    checkout and only what pyproject declares can reach the wheel."""
    source = folder / "source"
    source.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(folder / "dist"), str(source)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return next((folder / "dist").glob("ganlab-*.whl"))


def site_packages(python: Path) -> Path:
    command = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return Path(subprocess.check_output([str(python), "-c", command], text=True).strip())


def install_into_fresh_venv(wheel: Path, folder: Path) -> Path:
    """A new venv holding the wheel; this environment's packages reachable through a `.pth`
    written after the install (pip would otherwise see the checkout's editable ganlab there
    and try to uninstall it)."""
    venv.create(folder, with_pip=False, symlinks=True)
    python = folder / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", str(wheel)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    dependencies = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages(python) / "dependencies.pth").write_text("\n".join(sorted(dependencies)))
    return folder


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The fresh venv's folder."""
    folder = tmp_path_factory.mktemp("wheel")
    return install_into_fresh_venv(build_wheel(folder), folder / "venv")


@pytest.fixture(scope="module")
def empty(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("empty")


def launch(venv_dir: Path, command: str, *args: str, cwd: Path) -> subprocess.Popen:
    """Start `command` (a console script, or `python`) of the fresh venv as a user runs it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HYDRA_FULL_ERROR")}
    return subprocess.Popen(
        [str(venv_dir / "bin" / command), *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(process: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = process.communicate(timeout=600)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def run_installed(venv_dir: Path, command: str, *args: str, cwd: Path):
    return finish(launch(venv_dir, command, *args, cwd=cwd))


@pytest.fixture(scope="module")
def user_configs(tmp_path_factory) -> Path:
    """A user's config folder holding one model preset, `model=mine`."""
    folder = tmp_path_factory.mktemp("my_configs")
    (folder / "model").mkdir()
    (folder / "model" / "mine.yaml").write_text(USER_PRESET)
    return folder


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """The training job's run folder."""
    return tmp_path_factory.mktemp("run")


@pytest.fixture(scope="module")
def launched(installed, empty, mnist_root, user_configs, run_dir) -> dict[str, subprocess.Popen]:
    """The independent commands, started together: each spends most of its time importing
    torch and Lightning on one core, and a machine has more than one."""
    commands = {
        "module help": ("python", "-m", "ganlab.train", "--help"),
        "ganlab-evaluate": ("ganlab-evaluate", "--help"),
        "ganlab-report": ("ganlab-report", "--help"),
        "train": (
            "ganlab-train", "--config-dir", str(user_configs), "model=mine",
            f"data.root={mnist_root}", "data.splits=[test]", "trainer.max_steps=2",
            "logger=none", f"hydra.run.dir={run_dir}", *TINY,
        ),
    }  # fmt: skip
    processes = {name: launch(installed, *command, cwd=empty) for name, command in commands.items()}
    yield processes
    for process in processes.values():
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_ganlab_and_its_configs_come_from_the_wheel(installed, empty):
    script = "import ganlab, ganlab.run.config as c; print(ganlab.__file__); print(c.CONF_DIR)"
    result = run_installed(installed, "python", "-c", script, cwd=empty)
    assert result.returncode == 0, result.stderr[-3000:]
    module, conf = (Path(line) for line in result.stdout.split())
    site = site_packages(installed / "bin" / "python")
    assert module == site / "ganlab" / "__init__.py"
    assert conf == site / "ganlab" / "conf"
    shipped = {p.relative_to(conf) for p in conf.rglob("*.yaml")}
    assert shipped == {p.relative_to(REPO / "conf") for p in (REPO / "conf").rglob("*.yaml")}


def test_module_help_lists_the_packaged_presets(launched):
    result = finish(launched["module help"])
    assert result.returncode == 0, result.stderr[-3000:]
    presets = ", ".join(sorted(p.stem for p in (REPO / "conf" / "model").glob("*.yaml")))
    assert f"model: {presets}\n" in result.stdout
    assert "_target_: ganlab.models.DCGAN" in result.stdout


@pytest.mark.parametrize(
    ("script", "text"), [("ganlab-evaluate", "ckpt_path=PATH"), ("ganlab-report", "sweep_dir")]
)
def test_console_scripts_answer_help(launched, script, text):
    result = finish(launched[script])
    assert result.returncode == 0, result.stderr[-3000:]
    assert text in result.stdout


def test_train_with_a_user_preset_then_generate_from_its_checkpoint(
    launched, installed, empty, run_dir, tmp_path
):
    trained = finish(launched["train"])
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert "latent_dim: 16\n" in (run_dir / ".hydra" / "config.yaml").read_text()
    out = tmp_path / "samples.npz"
    generated = run_installed(
        installed, "ganlab-generate", f"ckpt_path={run_dir / 'checkpoints' / 'last.ckpt'}", "n=5",
        f"out={out}", "device=cpu", cwd=empty,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr[-3000:]
    with np.load(out) as samples:
        assert samples["arr_0"].shape == (5, 28, 28, 1) and samples["arr_0"].dtype == np.uint8
    assert not list(empty.iterdir()), "nothing is written into the working folder"
