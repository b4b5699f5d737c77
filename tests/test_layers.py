"""The package's folders are its layers, and imports run one way (no cycle between modules)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "rollsim"

# What each layer may import, besides itself. Reading up the list: the scenario spec, the
# pkg/controller/daemon mirror, the SimPy cluster, observers, the world of one run, the simulate
# entry point, input
# parsers, sweeps, planning, presentation, and the command line on top.
ALLOWED = {
    "spec": set(),
    "controller": {"spec"},
    "cluster": {"spec", "controller"},
    "observe": {"spec", "controller", "cluster"},
    "world": {"spec", "controller", "cluster", "observe"},
    "simulation": {"spec", "controller", "cluster", "observe", "world"},
    "provenance": {"spec", "simulation"},  # which rollsim made a result (the build: is simulation compiled?)
    "io": {"spec"},
    "sweep": {"spec", "controller", "observe", "simulation", "io", "provenance"},
    "plan": {"spec", "controller", "observe", "simulation", "io", "sweep", "present", "provenance"},
    "present": {"spec", "observe", "simulation", "io", "sweep"},
    "cli": {"spec", "controller", "cluster", "observe", "simulation", "io", "sweep", "plan", "present", "api",
            "provenance"},
    "api": {"spec", "controller", "cluster", "observe", "simulation", "io", "sweep", "plan", "present", "provenance"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "api"  # the package's own __init__: the public API
    return "cli" if parts[1] == "__main__" else parts[1]


def imports(path: Path) -> set[str]:
    """Every rollsim module ``path`` imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "rollsim":
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "rollsim")
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        targets = set()
        for target in imports(path):
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != name:
                targets.add(target)
        edges[name] = targets
    return edges


def test_layers_import_only_what_is_below_them() -> None:
    wrong = sorted(f"{source} imports {target}" for source, targets in graph().items() for target in targets
                   if layer(target) != layer(source) and layer(target) not in ALLOWED[layer(source)])
    assert not wrong, "\n".join(wrong)


def test_there_is_no_import_cycle() -> None:
    edges = graph()
    # a package importing its own submodules (re-exports in __init__) is not a cycle of concepts
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in edges.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_every_folder_is_a_known_layer() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders <= set(ALLOWED), folders - set(ALLOWED)


MODEL = ("spec", "controller", "cluster", "observe", "world", "simulation")


def test_no_function_of_the_model_is_longer_than_60_lines() -> None:
    """The model reads like the upstream controller: small functions named for what they decide."""
    long = []
    for path in PACKAGE.rglob("*.py"):
        if layer(module_name(path)) not in MODEL:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno:
                lines = node.end_lineno - node.lineno + 1
                if lines > 60:
                    long.append(f"{module_name(path)}.{node.name}: {lines} lines")
    assert not long, "\n".join(long)
