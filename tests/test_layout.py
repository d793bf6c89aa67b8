"""The package's layout: the pipeline's stages as subpackages, imports flowing one way.

Every import inside kb/ (at module level or inside a function) is an edge; a stage
may import only itself and the stages before it, and no two modules may import each
other, directly or through others.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

KB = Path(__file__).resolve().parents[1] / "kb"

# the data's way through the package; a stage imports only stages at or before its place
STAGES = ("locations", "processes", "sources", "corpus", "rules", "search", "site", "ingest", "unchanged", "build", "cli",
          "__main__")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """module -> the modules of the package ``root`` it imports."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                # `from pkg import module` names a module; `from module import name` a name in it
                targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in files else origin for a in node.names]
            for t in targets:
                while t and t not in files:
                    t = t.rpartition(".")[0]
                if t and t != mod and t.split(".")[0] == root.name:
                    graph[mod].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_cycles_in_kb():
    assert cycles(import_graph(KB)) == []


def test_every_module_belongs_to_a_stage():
    strays = [m for m in import_graph(KB) if m != "kb" and stage(m) not in STAGES]
    assert strays == [], f"add these to a stage (a subpackage) or to STAGES: {strays}"


def test_stages_import_only_earlier_stages():
    backwards = []
    for mod, targets in import_graph(KB).items():
        for t in targets:
            if mod != "kb" and t != "kb" and STAGES.index(stage(t)) > STAGES.index(stage(mod)):
                backwards.append(f"{mod} -> {t}")
    assert backwards == []


def test_every_stage_package_says_what_flows_in_and_out():
    for name in STAGES:
        init = KB / name / "__init__.py"
        if init.exists():
            doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
            assert doc and ("In:" in doc or "command line" in doc), f"{init}: docstring with In: … Out: …"


@pytest.fixture
def cyclic_package(tmp_path) -> Path:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..c import x\n")
    (pkg / "c.py").write_text("from pkg.a import y\nimport os\n")
    (pkg / "d.py").write_text("from . import c\n")
    return pkg


def test_the_check_sees_relative_absolute_and_function_level_imports(cyclic_package):
    graph = import_graph(cyclic_package)
    assert graph["pkg.a"] == {"pkg.sub.b"}
    assert graph["pkg.sub.b"] == {"pkg.c"}
    assert graph["pkg.c"] == {"pkg.a"}
    assert graph["pkg.d"] == {"pkg.c"}
    assert cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
