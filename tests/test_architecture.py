"""The architecture stays as docs/architecture.md describes it: what each part may import (every
import at any depth, function-level ones included), module sizes, and the tests' own layout.

MAY_IMPORT is the one statement of the import rules; the tables in docs/architecture.md mirror it
and are checked against it here, so the doc and the rules cannot drift apart.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "server" / "frontdesk"
DOC = REPO / "docs" / "architecture.md"
MAX_LINES = 320
ANYTHING = "anything"

# The parts of server/frontdesk: a subpackage, an assistant part, or a top-level module (by its
# name; "frontdesk" is the package's own __init__, where create_app lives).
ASSISTANT_PARTS = ("assistant.base", "assistant.select", "assistant.offline", "assistant.llm",
                   "assistant.tools")  # fmt: skip

# part -> the parts it may import. Data flows one way: widget -> /ws/chat -> chat -> assistant ->
# tools -> booking / knowledge -> db; staff -> chat / booking. Wiring modules sit on top.
MAY_IMPORT: dict[str, str | frozenset[str]] = {
    # Wiring and entry points: they put the parts together.
    "frontdesk": ANYTHING,
    "cli": ANYTHING,
    "wsgi": frozenset({"chat", "db", "frontdesk", "realtime"}),
    "cli_app": frozenset({"frontdesk"}),
    "extensions": frozenset({"booking", "calendars", "db"}),
    "demo": frozenset({"booking", "db", "knowledge", "sites", "staff"}),
    "demo_host": frozenset({"assets"}),
    "health": frozenset({"db", "extensions", "realtime"}),
    "retention_cli": frozenset({"cli_app", "db", "retention"}),
    "sites_cli": frozenset({"audit", "cli_app", "db", "sites", "staff"}),
    "mail_catcher": frozenset(),
    "assets": frozenset(),
    "widget_assets": frozenset({"assets"}),
    "config": frozenset(),
    "serving": frozenset(),
    # The flow, from the top down. Training sits beside the dashboard: its pages are a section
    # of it, and its evaluations play cases through the engines.
    "training": frozenset(
        {
            *ASSISTANT_PARTS,
            "audit",
            "booking",
            "chat",
            "cli_app",
            "db",
            "extensions",
            "i18n",
            "knowledge",
            "staff",
        }
    ),  # fmt: skip
    "staff": frozenset(
        {
            "audit",
            "booking",
            "calendars",
            "chat",
            "cli_app",
            "db",
            "extensions",
            "knowledge",
            "outbound",
            "privacy",
            "realtime",
            "retention",
            "sites",
        }
    ),  # fmt: skip
    "chat": frozenset(
        {
            *ASSISTANT_PARTS,
            "audit",
            "booking",
            "db",
            "extensions",
            "i18n",
            "knowledge",
            "realtime",
            "sites",
        }
    ),  # fmt: skip
    "assistant.select": frozenset({"assistant.base", "assistant.llm", "assistant.offline"}),
    "assistant.offline": frozenset(
        {"assistant.base", "assistant.tools", "booking", "db", "i18n", "knowledge"}
    ),  # fmt: skip
    "assistant.llm": frozenset(
        {"assistant.base", "booking", "db", "i18n", "knowledge", "outbound"}
    ),  # fmt: skip
    "assistant.tools": frozenset(
        {"assistant.base", "audit", "booking", "db", "i18n", "knowledge"}
    ),  # fmt: skip
    "assistant.base": frozenset({"db"}),
    "sites": frozenset({"booking", "db"}),
    "privacy": frozenset({"audit", "booking", "db"}),
    "retention": frozenset({"db", "privacy"}),
    "booking": frozenset({"audit", "db", "extensions", "i18n", "outbound", "outbox"}),
    # Calendars sit beside booking: they turn hosts' calendars into busy times the booking path
    # takes as data, and write bookings back; booking never imports them.
    "calendars": frozenset({"audit", "booking", "db", "extensions", "outbound", "outbox"}),
    "knowledge": frozenset({"audit", "cli_app", "db", "outbound"}),
    "audit": frozenset({"db"}),
    "outbound": frozenset(),
    # The outbox mechanism (claim, retry, the worker thread) knows no table of its own: each
    # sender hands it its model.
    "outbox": frozenset(),
    "realtime": frozenset(),
    # The visitor's language: our words per language, dates through Babel; knows no feature.
    "i18n": frozenset(),
    "db": frozenset(),
}

# The rules docs/architecture.md names (each also follows from MAY_IMPORT; stated for the message).
FEATURES = frozenset({"booking", "knowledge", *ASSISTANT_PARTS, "chat", "staff", "training",
                      "sites", "privacy", "retention", "calendars"})  # fmt: skip
MUST_NOT_IMPORT: dict[str, frozenset[str]] = {
    "booking": frozenset({"chat", *ASSISTANT_PARTS, "staff", "knowledge", "calendars"}),
    "calendars": frozenset({"chat", *ASSISTANT_PARTS, "staff", "knowledge"}),
    "knowledge": frozenset({"chat", *ASSISTANT_PARTS, "staff", "booking"}),
    **{part: frozenset({"chat", "staff"}) for part in ASSISTANT_PARTS},
    # The tools serve both engines; the protocols serve everyone.
    "assistant.tools": frozenset(
        {"chat", "staff", "assistant.llm", "assistant.offline", "assistant.select"}
    ),  # fmt: skip
    "assistant.base": frozenset({"chat", "staff", *ASSISTANT_PARTS} - {"assistant.base"}),
    "chat": frozenset({"staff", "training"}),
    "staff": frozenset({"training"}),
    "db": frozenset(MAY_IMPORT) - {"db"},
    "outbound": FEATURES,
    "outbox": FEATURES,
    "realtime": FEATURES,
    "i18n": FEATURES,
    "audit": FEATURES,
}


def part_of(module: str) -> str | None:
    """The part a dotted module name belongs to (None outside frontdesk)."""
    names = module.split(".")
    if names[0] != "frontdesk":
        return None
    if len(names) == 1:
        return "frontdesk"
    if names[1] == "assistant":
        return "assistant." + (names[2] if len(names) > 2 else "base")
    return names[1]


def module_name(path: Path, package: Path = PACKAGE) -> str:
    """The dotted module name of a file under the package."""
    names = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(names[:-1] if names[-1] == "__init__" else names)


def is_module(name: str, package: Path = PACKAGE) -> bool:
    """Does a dotted name refer to a module or package (rather than to a name in one)?"""
    path = package.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(path: Path, package: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, module) of every import of the package in a file, at any depth."""
    found = []
    here = module_name(path, package).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                found.append((node.lineno, candidate if is_module(candidate, package) else module))
    return [(line, name) for line, name in found if name.split(".")[0] == package.name]


def source_files() -> list[Path]:
    """Every Python file of the package, migrations included (they import too)."""
    return sorted(PACKAGE.rglob("*.py"))


def import_edges() -> list[tuple[str, str, str]]:
    """(importing part, imported part, "file:line") for every import between two parts."""
    edges = []
    for path in source_files():
        source = part_of(module_name(path))
        for line, name in imported_modules(path):
            target = part_of(name)
            if target != source:
                edges.append((source, target, f"{path.relative_to(REPO)}:{line}"))
    return edges


def test_every_part_is_in_the_rules():
    parts = {part_of(module_name(path)) for path in source_files()}
    unknown = sorted(parts - set(MAY_IMPORT))
    assert not unknown, (
        f"new part(s) {unknown}: add each to MAY_IMPORT in tests/test_architecture.py and to "
        "the tables of docs/architecture.md (what it holds, what it may import)"
    )


def test_imports_follow_the_one_way_flow():
    broken = [
        f"{where}: {source} imports {target}"
        for source, target, where in import_edges()
        if MAY_IMPORT.get(source, frozenset()) != ANYTHING and target not in MAY_IMPORT[source]
    ]
    assert not broken, "imports the rules do not allow (docs/architecture.md):\n" + "\n".join(
        broken
    )


@pytest.mark.parametrize("part", sorted(MUST_NOT_IMPORT))
def test_named_rules_hold(part):
    forbidden = MUST_NOT_IMPORT[part]
    assert not forbidden & set(MAY_IMPORT[part]), "MAY_IMPORT contradicts MUST_NOT_IMPORT"
    edges = import_edges()
    assert [(where, t) for s, t, where in edges if s == part and t in forbidden] == []


def test_the_checker_sees_late_and_relative_imports(tmp_path):
    """The rules would be toothless if a function-level or relative import slipped past."""
    package = tmp_path / "frontdesk"
    for folder in ("booking", "chat"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "chat" / "hub.py").write_text("")
    late = package / "booking" / "late.py"
    late.write_text(
        "def f():\n    from ..chat import hub\n    import frontdesk.chat.hub\n"
        "    from frontdesk.chat.hub import Hub\n"
    )
    found = imported_modules(late, package)
    assert found == [
        (2, "frontdesk.chat.hub"),
        (3, "frontdesk.chat.hub"),
        (4, "frontdesk.chat.hub"),
    ]
    assert {part_of(name) for _line, name in found} == {"chat"}


def test_no_module_over_the_size_cap():
    modules = [p for p in source_files() if "migrations" not in p.parts]
    modules += sorted((REPO / "widget").glob("*.js")) + sorted((REPO / "static").rglob("*.js"))
    sizes = {str(p.relative_to(REPO)): len(p.read_text("utf-8").splitlines()) for p in modules}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


# -- the doc mirrors the rules ------------------------------------------------------------------


def doc_table(heading: str) -> list[list[str]]:
    """The rows (cells, stripped) of the first Markdown table under a '## heading'."""
    text = DOC.read_text("utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:  # after the header and its --- line
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def names_in(cell: str) -> set[str]:
    """The `backticked` names of a table cell."""
    return set(re.findall(r"`([^`]+)`", cell))


def test_the_doc_lists_every_part():
    listed = set()
    for row in doc_table("The parts"):
        listed |= names_in(row[0])
    assert set(MAY_IMPORT) <= listed, sorted(set(MAY_IMPORT) - listed)


def test_the_doc_states_exactly_these_rules():
    rows = {next(iter(names_in(row[0]))): row for row in doc_table("Import rules")}
    assert set(rows) == set(MAY_IMPORT)
    for part, (_name, may, must_not) in rows.items():
        expected = MAY_IMPORT[part]
        if expected == ANYTHING:
            assert may == ANYTHING, part
        else:
            assert names_in(may) == set(expected), part
        assert names_in(must_not) == set(MUST_NOT_IMPORT.get(part, ())), part


# -- the tests' own layout ------------------------------------------------------------------------

TESTS = REPO / "tests"


def test_test_areas_hold_tests_and_fixtures_only():
    """tests/<area>/ holds test modules, its conftest and data; helpers live in tests/support."""
    stray = [
        str(path.relative_to(REPO))
        for path in TESTS.glob("*/*.py")
        if path.parent.name != "support"
        and path.name not in ("__init__.py", "conftest.py")
        and not path.name.startswith("test_")
    ]
    assert stray == [], "move plain helpers to tests/support/ (fixtures: the area's conftest.py)"


def test_no_test_module_imports_another_test_module_or_a_conftest():
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                last = name.split(".")[-1]
                if name.startswith("tests") and (last == "conftest" or last.startswith("test_")):
                    wrong.append(f"{path.relative_to(REPO)}:{node.lineno} imports {name}")
    assert wrong == []
