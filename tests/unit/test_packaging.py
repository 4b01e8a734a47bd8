"""pyproject lists ganlab's packages by hand (conf/ ships as `ganlab.conf`, which setuptools'
finder cannot see): these checks keep that list, the data files and the console scripts true
to what is on disk, so a new package, config folder or data file cannot be left out of the
wheel unnoticed. tests/cli/test_wheel.py builds and runs the wheel itself."""

import pkgutil
from pathlib import Path

import pytest

from tests.helpers import REPO

tomllib = pytest.importorskip("tomllib")

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
ENTRY_POINTS = {
    "ganlab-train": "ganlab.train:entry",
    "ganlab-generate": "ganlab.generate:entry",
    "ganlab-evaluate": "ganlab.evaluate:entry",
    "ganlab-report": "ganlab.report:main",
    "ganlab-export": "ganlab.export:entry",
    "ganlab-tune": "ganlab.tune:entry",
}


def folders(root: Path) -> list[Path]:
    return [root, *(p for p in root.rglob("*") if p.is_dir() and p.name != "__pycache__")]


def package_name(folder: Path, root: Path, prefix: tuple[str, ...]) -> str:
    return ".".join((*prefix, *folder.relative_to(root).parts))


def code_packages() -> set[str]:
    """Every folder under ganlab/ that holds Python files (with or without an __init__.py)."""
    return {
        package_name(folder, REPO, ())
        for folder in folders(REPO / "ganlab")
        if any(folder.glob("*.py"))
    }


def config_packages() -> set[str]:
    """conf/ as ganlab.conf, and each config folder below it."""
    return {
        package_name(folder, REPO / "conf", ("ganlab", "conf")) for folder in folders(REPO / "conf")
    }


def test_the_package_list_is_every_package_on_disk():
    assert set(SETUPTOOLS["packages"]) == code_packages() | config_packages()
    assert len(SETUPTOOLS["packages"]) == len(set(SETUPTOOLS["packages"]))


def selected(folder: Path, patterns: list[str]) -> set[Path]:
    """The files package-data patterns pick in a package folder (glob rules, as setuptools)."""
    return {path for pattern in patterns for path in folder.glob(pattern) if path.is_file()}


def test_conf_ships_as_ganlab_conf_with_every_config():
    assert SETUPTOOLS["package-dir"] == {"ganlab.conf": "conf"}
    configs = {p for p in (REPO / "conf").rglob("*") if p.is_file()}
    assert configs and selected(REPO / "conf", SETUPTOOLS["package-data"]["ganlab.conf"]) == configs


def test_every_data_file_in_the_code_is_declared():
    """A file under ganlab/ that is not Python reaches the wheel only through package-data."""
    declared = SETUPTOOLS["package-data"]
    shipped = set().union(
        *(selected(REPO / Path(*name.split(".")), patterns) for name, patterns in declared.items()
          if not name.startswith("ganlab.conf"))
    )  # fmt: skip
    data = {
        path
        for path in (REPO / "ganlab").rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }
    assert data == shipped


def test_console_scripts_are_the_entry_points():
    """The Hydra entry points go through `entry` (`cli.run(main)`: composition errors exit 2),
    `ganlab-report` through its argparse `main`."""
    scripts = PYPROJECT["project"]["scripts"]
    assert {name: scripts.get(name) for name in ENTRY_POINTS} == ENTRY_POINTS
    for target in scripts.values():
        assert callable(pkgutil.resolve_name(target)), target
