"""The fault matrix of docs/reliability.md, produced from the tests themselves: every test
marked `fault` is one case, named by its own name (and parameter id).

    python -m pytest -p no:cacheprovider tests --fault-matrix=docs/fault-matrix.md

collects the tests, writes the table and runs nothing (`make fault-matrix`).
"""

import pytest

HEADER = """# Fault matrix

Every case below is a test that holds (`make test`); regenerate this file with `make
fault-matrix` (`pytest --fault-matrix=docs/fault-matrix.md`). See [reliability.md](reliability.md).

| case | test |
|---|---|
"""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fault-matrix", metavar="PATH", help="write the fault matrix, run nothing")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault: a case of the fault matrix (docs/fault-matrix.md)")


def case(item: pytest.Item) -> str:
    name = item.originalname.removeprefix("test_").replace("_", " ")
    callspec = getattr(item, "callspec", None)
    if callspec:  # a row of a table of cases says what it expects (`message`)
        said = [f": {v.message}" for v in callspec.params.values() if hasattr(v, "message")]
        name = f"{name} [{callspec.id}]{''.join(said)}"
    return name.replace("|", "\\|")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    path = config.getoption("--fault-matrix")
    if path is None:
        return
    faults = [item for item in items if item.get_closest_marker("fault")]
    rows = sorted((i.nodeid.split("::")[0], case(i), i.nodeid.split("[")[0]) for i in faults)
    with open(path, "w") as file:
        file.write(HEADER + "".join(f"| {case} | `{test}` |\n" for _, case, test in rows))
    items.clear()
