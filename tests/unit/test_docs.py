"""The manual stays true: the README stays short and lists conf/'s choices, every relative link
(and its #anchor) leads somewhere, and every `from ganlab... import X` in a Python example
imports."""

import ast
import importlib
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "conf"
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 200

FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*$", re.MULTILINE)
EXTERNAL = ("http://", "https://", "mailto:")
GROUP_ROW = re.compile(r"^\| `([\w/]+)` \| ([^|]*) \|", re.MULTILINE)
PLUGIN_GROUPS = {"hydra/launcher"}
"""Groups whose plugins add choices outside conf/ (basic, joblib)."""


def prose(text: str) -> str:
    """The page without fenced or inline code, where brackets are not links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats -1."""
    seen: Counter[str] = Counter()
    ids = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text())):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        ids.add(f"{slug}-{seen[slug]}" if seen[slug] else slug)
        seen[slug] += 1
    return ids


def relative_links(page: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(prose(page.read_text()))
        if not target.startswith(EXTERNAL)
    ]


def python_imports(page: Path) -> list[tuple[str, str]]:
    """(module, name) for each `from ganlab... import name` in the page's python blocks."""
    found = []
    for language, code in FENCE.findall(page.read_text()):
        if language != "python":
            continue
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ganlab"):
                found += [(node.module, alias.name) for alias in node.names]
    return found


def is_module(name: str) -> bool:
    """`from package import submodule` names a module, not an attribute."""
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def test_readme_is_short() -> None:
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines: move detail into docs/"


def test_readme_names_its_test_command() -> None:
    assert "make test" in README.read_text()


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.is_file():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_readme_group_table_lists_the_choices_in_conf() -> None:
    rows = dict(GROUP_ROW.findall(README.read_text()))
    assert {"model", "data", "trainer", "logger", "callbacks", "experiment", "sweep"} <= set(rows)
    for group, cell in rows.items():
        listed = set(re.findall(r"`([\w-]+)`", cell))
        in_conf = {path.stem for path in (CONF / group).glob("*.yaml")}
        if group in PLUGIN_GROUPS:
            assert in_conf <= listed, f"README's {group} row misses {sorted(in_conf - listed)}"
        else:
            assert listed == in_conf, (
                f"README's {group} row: {sorted(listed)}, conf/: {sorted(in_conf)}"
            )


def test_readme_links_every_page() -> None:
    """Every page of the manual is reachable from the README."""
    linked = {
        (README.parent / target.partition("#")[0]).resolve() for target in relative_links(README)
    }
    unlinked = [page.name for page in PAGES[1:] if page.resolve() not in linked]
    assert not unlinked, f"README.md does not link to {unlinked}"


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_python_examples_import(page: Path) -> None:
    missing = []
    for module, name in python_imports(page):
        try:
            imported = importlib.import_module(module)
        except ImportError as error:
            missing.append(f"{module}: {error}")
            continue
        if not (hasattr(imported, name) or is_module(f"{module}.{name}")):
            missing.append(f"{module} has no {name}")
    assert not missing, f"{page.name}: " + "; ".join(missing)


def test_the_checks_see_links_anchors_and_imports(tmp_path: Path) -> None:
    """The parsers find what they must and skip code, so a passing run means something."""
    page = tmp_path / "page.md"
    page.write_text(
        "# A title: `x`\n\n## A title: x\n\nSee [b](b.md#part) and ![img](i.png), "
        "`[not](a link)`.\n\n```python\nfrom ganlab.errors import UsageError\n```\n"
        "```\n[not](a link either)\n```\n"
    )
    assert relative_links(page) == ["b.md#part", "i.png"]
    assert anchors(page) == {"a-title-x", "a-title-x-1"}
    assert python_imports(page) == [("ganlab.errors", "UsageError")]
