"""The repairs app's modules: no module imports another's private name, no import hides in a
function body to dodge a circle, and the modules' imports run in no circle."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "contractors", "repairs", "surveys", "outbox", "demo")


def repairs_modules() -> dict[str, ast.Module]:
    modules = {}
    for path in sorted((ROOT / "repairs").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = ast.parse(path.read_text(), filename=str(path))
    return modules


def absolute(module: str, node: ast.ImportFrom) -> str:
    """The dotted name an import refers to, relative ones resolved against `module`."""
    if not node.level:
        return node.module or ""
    package = module.split(".")
    is_package = (ROOT / Path(*package) / "__init__.py").exists()
    base = package if is_package else package[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(module: str, tree: ast.Module, *, top_level_only: bool) -> list[tuple]:
    found = []
    body = tree.body if top_level_only else ast.walk(tree)
    for node in body:
        if isinstance(node, ast.ImportFrom):
            target = absolute(module, node)
            found.extend((target, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names)
    return found


@pytest.fixture(scope="module")
def modules():
    return repairs_modules()


def test_no_module_imports_a_private_name_of_another(modules):
    private = [
        (module, f"{target}.{name}")
        for module, tree in modules.items()
        for target, name in imports_of(module, tree, top_level_only=False)
        if target.split(".")[0] in APPS and name and name.startswith("_") and target != module
    ]
    assert private == []


def test_no_function_imports_a_module_of_the_project(modules):
    hidden = []
    for module, tree in modules.items():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom):
                    target = absolute(module, node)
                elif isinstance(node, ast.Import):
                    target = node.names[0].name
                else:
                    continue
                if target.split(".")[0] in APPS:
                    hidden.append((module, function.name, target))
    assert hidden == []


def test_the_modules_import_each_other_in_no_circle(modules):
    graph = {module: set() for module in modules}
    for module, tree in modules.items():
        for target, name in imports_of(module, tree, top_level_only=True):
            for candidate in (f"{target}.{name}" if name else None, target):
                if candidate in modules and candidate != module:
                    graph[module].add(candidate)
                    break
    # an __init__ that re-exports its package's modules is not a circle with them
    for module in graph:
        graph[module] = {other for other in graph[module] if not module.startswith(f"{other}.")}

    circles = []

    def visit(module, path):
        for other in graph[module]:
            if other in path:
                circles.append([*path[path.index(other) :], other])
            elif other not in done:
                visit(other, [*path, other])
        done.add(module)

    done = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert circles == []
