"""The layout's rules, checked by walking every module's imports (ast, not a run):
arrows only point down the pipeline, no import cycles, store/ knows nothing of archive/.

    core < harvest < read < structure < search < compare < (pipeline, status, watch, coverage) < web, cli

store/ is below everything: anyone may use it; it imports nothing of ours but store/.
"""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

RANKS = {
    "archive.core": 0, "archive.harvest": 1, "archive.read": 2, "archive.structure": 3,
    "archive.search": 4, "archive.compare": 5,
    "archive.pipeline": 6, "archive.status": 6, "archive.watch": 6, "archive.coverage": 6,
    "web": 7, "cli": 7,
}
OURS = ("archive", "store", "web", "cli")

# Known violations that other rooms are removing; the lead empties this list at integration.
# Each entry: (importing module, imported module).
ALLOWED: set[tuple[str, str]] = {
}


def module_files() -> dict[str, Path]:
    files = {}
    for top in ("archive", "store", "web"):
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    files["cli"] = ROOT / "cli.py"
    return files


MODULES = module_files()


def imports_of(name: str, path: Path) -> set[str]:
    """Our modules *name* imports, anywhere in it (function-level imports count too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in MODULES:       # `import archive.harvest.rosters.x` -> the module
                t = t.rpartition(".")[0]
            if t and t.split(".")[0] in OURS and t != name:
                out.add(t)
    return out


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def rank(module: str) -> int | None:
    for prefix, r in sorted(RANKS.items(), key=lambda kv: -len(kv[0])):
        if module == prefix or module.startswith(prefix + "."):
            return r
    return None


def test_the_walk_sees_the_imports():
    """Guards the checker itself: known arrows are found, relative ones resolved."""
    assert "archive.core.errors" in GRAPH["archive.harvest.run"]
    assert "archive.harvest.rosters" in GRAPH["archive.harvest.recording"]
    assert "store.datadir" in GRAPH["cli"]
    assert len(MODULES) > 40


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Arrows from a stage to a later one, and from store/ to anything of ours but store/."""
    wrong = []
    for name, targets in graph.items():
        for t in sorted(targets):
            if (name, t) in ALLOWED:
                continue
            if name.startswith("store") and not t.startswith("store"):
                wrong.append(f"{name} imports {t} (store/ is below every stage)")
            elif rank(name) is not None and rank(t) is not None and rank(t) > rank(name):
                wrong.append(f"{name} imports {t} (a later stage)")
    return wrong


def test_the_rules_catch_a_planted_violation(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from archive.compare import diff\n    import web.helpers\n")
    targets = imports_of("archive.read.planted", planted)
    assert targets == {"archive.compare.diff", "web.helpers"}
    assert len(upward({"archive.read.planted": targets, "store.planted": {"archive.core.errors"}})) == 3


def test_imports_point_only_down_the_pipeline_and_store_imports_no_stage():
    wrong = upward(GRAPH)
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    """Tarjan's strongly connected components over module -> module imports; a package's
    __init__ importing its own submodules is not a cycle unless they import it back."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH.get(v, ()):
            if (v, w) in ALLOWED:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                cycles.append(sorted(scc))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_ci_turns_skipped_corpus_and_browser_tests_into_failures(tmp_path):
    """The conftest hook, run for real: a pytest in a subprocess with our conftest as a plugin."""
    import os
    import subprocess
    import sys
    (tmp_path / "test_probe.py").write_text(
        "import pytest\n"
        "@pytest.mark.corpus\ndef test_corpus():\n    pytest.skip('needs the full corpus')\n"
        "@pytest.mark.browser\ndef test_browser():\n    pytest.skip('needs chromium')\n"
        "def test_other():\n    pytest.skip('not a corpus test')\n")

    def run(ci: str) -> str:
        env = dict(os.environ, CI=ci, PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT)]))
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider",
                               "--rootdir", str(tmp_path), str(tmp_path / "test_probe.py")],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120).stdout

    assert "2 failed, 1 skipped" in run("true")
    assert "3 skipped" in run("")
