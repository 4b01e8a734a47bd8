"""The layout rules of docs/extending.md, checked on the source: what sits at the top of the
package, and which way imports flow."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ganlab"
ENTRY_POINTS = {"train", "generate", "evaluate", "report", "export", "diagnose", "tune"}
TOP_LEVEL_MODULES = {"__init__", "errors", "options", "losses"}
# package -> packages it must never import
FORBIDDEN = {
    "run": {"ganlab.models", "ganlab.nets", "ganlab.data"},
    "sampling": {"ganlab.models", "ganlab.nets"},
    "data": {"ganlab.models", "ganlab.nets", "ganlab.metrics", "ganlab.sampling"},
    "metrics": {"ganlab.models", "ganlab.nets"},
    "nets": {"ganlab.models", "ganlab.data", "ganlab.run"},
}


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_top_level_holds_entry_points_errors_options_losses_and_packages():
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert modules - ENTRY_POINTS - TOP_LEVEL_MODULES == set()


def test_no_entry_point_imports_another():
    entry_points = {f"ganlab.{name}" for name in ENTRY_POINTS}
    for path in PACKAGE.rglob("*.py"):
        imported = imports_of(path) & entry_points
        assert not imported, f"{path.relative_to(PACKAGE)} imports entry point(s) {imported}"


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_flow_one_way(package):
    for path in (PACKAGE / package).rglob("*.py"):
        bad = {
            name
            for name in imports_of(path)
            if any(name == f or name.startswith(f"{f}.") for f in FORBIDDEN[package])
        }
        assert not bad, f"{path.relative_to(PACKAGE)} imports {sorted(bad)}"


def test_the_config_rules_load_no_callbacks_metrics_or_data():
    """`ganlab.run.rules` is what every entry point imports first: it stays small (it once
    loaded 40 ganlab modules through the divergence guard's package)."""
    code = "import sys, ganlab.run.rules; print(*(m for m in sys.modules if 'ganlab' in m))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    heavy = ("ganlab.callbacks", "ganlab.metrics", "ganlab.data", "ganlab.models", "ganlab.nets")
    assert "ganlab.run.rules" in loaded
    assert not [name for name in loaded if name.startswith(heavy)]
