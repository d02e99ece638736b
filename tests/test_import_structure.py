"""The apps import each other in one direction, at the top of each module, by public names.

Read with `ast` from the source of every module of the project's apps (migrations left out:
they are history, not code that is called):

- an import of a project module inside a function body needs a comment on its line or the line
  above saying why, as `# local import: <reason>`; otherwise the import belongs at the top;
- no module imports another module's private name (`from x import _name`, or `x._name` on an
  imported module);
- the imports between the apps form no circle, and go down the layers only:
  outbox at the bottom, then portal, contractors, repairs, surveys, the machine interface
  (api); demo on top, the only app that may import all the others.

What is still wrong is written out in KNOWN_VIOLATIONS (empty today), each by module and
name. A new violation fails the test; a listed one that no longer occurs fails it too, so the
list only shrinks.
"""

import ast
import re
from collections.abc import Iterator, Set
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The layer of each app: an app may import its own layer's and lower layers' apps.
LAYERS = {
    "outbox": 0,
    "portal": 1,
    "contractors": 2,
    # Webhook endpoints and their deliveries: the services of repairs and surveys emit events.
    "webhooks": 2,
    "repairs": 3,
    "surveys": 4,
    # Planned maintenance and renovation projects: their visits are booked as orders in repairs.
    "projects": 4,
    "api": 5,
    # The tenant's own data (AVG): export, erasure and retention read every app below.
    "privacy": 5,
    "demo": 6,
}
# The app that may import any other: the demo data builds its world through all of them.
TOP = "demo"
APPS = tuple(LAYERS)

REASON = re.compile(r"#\s*local import:\s*\S.{3,}")

# What is still wrong, as (rule, importing module, imported module or name). The rules:
# "local import", "private name", "upward import", "app circle" (an import between two apps
# that import each other) and "module circle" (an import between modules that import each
# other, wherever in the module). The list may only shrink: remove an entry when it is fixed
# (test_the_known_violations_still_occur says which); never add one. Nothing is left today.
KNOWN_VIOLATIONS: frozenset[tuple[str, str, str]] = frozenset()


@dataclass(frozen=True)
class Import:
    """One imported name of a project module, as written in `module` at `line`."""

    module: str  # the importing module, dotted
    target: str  # the imported project module, dotted
    name: str | None  # the name taken from `target` (None: the module itself)
    line: int
    local: bool  # inside a function body


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> Iterator[Path]:
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path


MODULES: dict[str, Path] = {module_name(path): path for path in source_files()}


def app_of(module: str) -> str:
    return module.split(".", 1)[0]


def absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The dotted module an ImportFrom reads from, relative levels resolved."""
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if not is_package:
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


class _Walker(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, source: str, known: Set[str]):
        self.module = module
        self.known = known  # every project module, to tell `from x import module` apart
        self.is_package = is_package
        self.lines = source.splitlines()
        self.depth = 0  # how many function bodies enclose the node
        self.imports: list[Import] = []
        self.unexplained: list[Import] = []
        self.aliases: dict[str, str] = {}  # a local name bound to a project module
        self.private_uses: list[tuple[str, str]] = []  # (module, private attribute)

    def _function(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def _add(self, node, target: str, name: str | None, bound: str | None):
        item = Import(self.module, target, name, node.lineno, self.depth > 0)
        self.imports.append(item)
        if bound and name is None:
            self.aliases[bound] = target
        if item.local and not self._explained(node.lineno):
            self.unexplained.append(item)

    def _explained(self, line: int) -> bool:
        return any(
            REASON.search(self.lines[number - 1]) for number in (line, line - 1) if number >= 1
        )

    def visit_Import(self, node: ast.Import):
        for alias in node.names:
            if app_of(alias.name) in APPS:
                bound = alias.asname or (alias.name if "." not in alias.name else None)
                self._add(node, alias.name, None, bound)

    def visit_ImportFrom(self, node: ast.ImportFrom):
        source = absolute(self.module, self.is_package, node)
        if app_of(source) not in APPS:
            return
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            if submodule in self.known:
                self._add(node, submodule, None, alias.asname or alias.name)
            else:
                self._add(node, source, alias.name, None)

    def visit_Attribute(self, node: ast.Attribute):
        if (
            isinstance(node.value, ast.Name)
            and node.value.id in self.aliases
            and is_private(node.attr)
        ):
            self.private_uses.append((self.aliases[node.value.id], node.attr))
        self.generic_visit(node)


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def walk(module: str, source: str, is_package: bool = False, known: Set[str] = frozenset(MODULES)):
    walker = _Walker(module, is_package, source, known)
    walker.visit(ast.parse(source, module))
    return walker


WALKED = {
    module: walk(module, path.read_text(), path.name == "__init__.py")
    for module, path in MODULES.items()
}

Violation = tuple[str, str, str]  # (rule, module, name)


def local_imports(walked: dict[str, _Walker]) -> set[Violation]:
    return {
        ("local import", item.module, item.target + (f".{item.name}" if item.name else ""))
        for walker in walked.values()
        for item in walker.unexplained
    }


def private_names(walked: dict[str, _Walker]) -> set[Violation]:
    found = set()
    for module, walker in walked.items():
        for item in walker.imports:
            taken = item.name or item.target.rsplit(".", 1)[-1]
            if is_private(taken) and item.target != module:
                found.add(("private name", module, f"{item.target}.{taken}".rstrip(".")))
        for target, attribute in walker.private_uses:
            if target != module:
                found.add(("private name", module, f"{target}.{attribute}"))
    return found


def module_edges(walked: dict[str, _Walker]) -> set[tuple[str, str]]:
    """Each (importing module, imported module), wherever in the module the import is."""
    return {
        (module, item.target)
        for module, walker in walked.items()
        for item in walker.imports
        if item.target != module
    }


def upward_imports(walked: dict[str, _Walker]) -> set[Violation]:
    return {
        ("upward import", module, target)
        for module, target in module_edges(walked)
        if app_of(module) != TOP and LAYERS[app_of(target)] > LAYERS[app_of(module)]
    }


def circles(edges: set[tuple[str, str]]) -> list[set[str]]:
    """The groups of nodes that reach each other along `edges` (two or more nodes each)."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())

    def reach(node: str) -> set[str]:
        seen, todo = set(), [node]
        while todo:
            for following in graph[todo.pop()] - seen:
                seen.add(following)
                todo.append(following)
        return seen

    reached = {node: reach(node) for node in graph}
    groups = {frozenset(n for n in reached[node] if node in reached[n]) for node in graph}
    return [set(group) for group in groups if len(group) > 1]


def import_circles(walked: dict[str, _Walker]) -> set[Violation]:
    """Every import on a circle: between apps, and between the modules themselves."""
    edges = module_edges(walked)
    found = set()
    app_links = {(app_of(m), app_of(t)) for m, t in edges if app_of(m) != app_of(t)}
    for group in circles(app_links):
        found |= {
            ("app circle", module, target)
            for module, target in edges
            if app_of(module) != app_of(target) and {app_of(module), app_of(target)} <= group
        }
    for group in circles(edges):
        found |= {
            ("module circle", module, target)
            for module, target in edges
            if module in group and target in group
        }
    return found


def violations(walked: dict[str, _Walker] = WALKED) -> set[Violation]:
    return (
        local_imports(walked)
        | private_names(walked)
        | upward_imports(walked)
        | import_circles(walked)
    )


def test_every_app_module_is_read():
    # the walk finds the apps' modules and their imports, so an empty pass means something
    assert {"portal.models", "repairs.models", "demo.build"} <= set(MODULES)
    assert ("repairs.models", "portal.models") in module_edges(WALKED)


def test_each_rule_catches_what_it_names():
    # given a lower app that breaks every rule, and a module that explains its local import
    sources = {
        "contractors.example": (
            "from repairs import models\n"  # upward, and a circle with repairs.example
            "from portal.models import _secret\n"
            "from portal import mail\n"
            "def f():\n"
            "    from portal import selectors\n"
            "    return mail._send\n"
        ),
        "repairs.example": (
            "def f():\n"
            "    # local import: the registry is ready only here\n"
            "    from contractors import example\n"
        ),
    }
    known = set(MODULES) | set(sources)
    walked = {module: walk(module, source, known=known) for module, source in sources.items()}

    # when they are checked
    found = violations(walked)

    # then each rule names the module and the import
    assert found == {
        ("upward import", "contractors.example", "repairs.models"),
        ("private name", "contractors.example", "portal.models._secret"),
        ("private name", "contractors.example", "portal.mail._send"),
        ("local import", "contractors.example", "portal.selectors"),
        ("app circle", "contractors.example", "repairs.models"),
        ("app circle", "repairs.example", "contractors.example"),
    }


def test_no_new_local_import_private_name_upward_import_or_circle():
    new = sorted(violations() - KNOWN_VIOLATIONS)

    assert new == [], (
        "New import violations: move the import to the top of the module (or explain it with "
        "'# local import: <reason>'), use a public name, import downward only, or break the "
        "circle:\n" + "\n".join(map(str, new))
    )


def test_the_known_violations_still_occur():
    fixed = sorted(KNOWN_VIOLATIONS - violations())

    assert fixed == [], "Fixed, remove from KNOWN_VIOLATIONS:\n" + "\n".join(map(str, fixed))
