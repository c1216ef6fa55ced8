"""Services and routes use their collaborators through what those offer (methods and
properties), never through the state a collaborator keeps for itself: a service that wants
the registry, the executor or the settings receives them, wired in `app.py`, and a route
declares them as dependencies (`api/deps.py`). Read from the source, as `lint-imports` reads
imports."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "backend" / "modelgallery"


@dataclass
class _Class:
    state: set[str] = field(default_factory=set)  # what __init__ keeps on `self`
    offers: set[str] = field(default_factory=set)  # methods and properties
    collaborators: dict[str, str] = field(default_factory=dict)  # self attribute -> class


def _annotation_name(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        node = ast.parse(node.value, mode="eval").body
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.BinOp):  # `X | None`
        return _annotation_name(node.left)
    return None


def _init_of(cls: ast.ClassDef) -> ast.FunctionDef | None:
    return next(
        (f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None
    )


def _self_targets(node: ast.AST) -> Iterator[tuple[str, ast.expr | None]]:
    """`self.x = value` and `self.x, self.y = a, b`: each attribute with its value."""
    if not isinstance(node, ast.Assign | ast.AnnAssign):
        return
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        pairs: list[tuple[ast.expr, ast.expr | None]] = [(target, node.value)]
        if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
            pairs = list(zip(target.elts, node.value.elts, strict=False))
        for element, value in pairs:
            if (
                isinstance(element, ast.Attribute)
                and isinstance(element.value, ast.Name)
                and element.value.id == "self"
            ):
                yield element.attr, value


def _classes(trees: Iterable[ast.AST]) -> dict[str, _Class]:
    """By name, each class's state, what it offers, and which of its attributes hold an
    instance of a class named by its `__init__`'s annotations."""
    found: dict[str, _Class] = {}
    for tree in trees:
        for cls in ast.walk(tree):
            if not isinstance(cls, ast.ClassDef):
                continue
            info = found.setdefault(cls.name, _Class())
            info.offers |= {
                f.name for f in cls.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            init = _init_of(cls)
            if init is None:
                continue
            params = {a.arg: _annotation_name(a.annotation) for a in init.args.args}
            params |= {a.arg: _annotation_name(a.annotation) for a in init.args.kwonlyargs}
            for statement in ast.walk(init):
                for attr, value in _self_targets(statement):
                    info.state.add(attr)
                    if isinstance(value, ast.Name) and params.get(value.id):
                        info.collaborators[attr] = str(params[value.id])
    return found


def _trees(paths: Iterable[Path]) -> Iterator[ast.AST]:
    return (ast.parse(path.read_text()) for path in paths)


def _reaches(tree: ast.AST, holders: dict[str, str], classes: dict[str, _Class]) -> set[str]:
    """`holder.x` where `holder` holds an instance of a known class and `x` is state that
    class keeps for itself rather than something it offers."""
    seen = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        inner = node.value
        if isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name):
            holder = inner.attr if inner.value.id == "self" else None
        elif isinstance(inner, ast.Name):
            holder = inner.id
        else:
            continue
        target = classes.get(holders.get(holder or "", ""))
        if target is not None and node.attr in target.state - target.offers:
            seen.add(f"{holder}.{node.attr} (line {node.lineno})")
    return seen


def test_no_service_reaches_through_another() -> None:
    classes = _classes(_trees(PACKAGE.rglob("*.py")))
    services = sorted((PACKAGE / "services").rglob("*.py"))
    found = []
    for path in services:
        for cls in ast.walk(ast.parse(path.read_text())):
            if isinstance(cls, ast.ClassDef) and cls.name in classes:
                holders = classes[cls.name].collaborators
                for reach in sorted(_reaches(cls, holders, classes)):
                    found.append(f"{path.relative_to(PACKAGE)} {cls.name}: {reach}")
    assert found == []


def _dependencies() -> dict[str, str]:
    """`api/deps.py`'s named dependencies (`Predictions = Annotated[PredictionService, …]`)."""
    aliases = {}
    for node in ast.parse((PACKAGE / "api" / "deps.py").read_text()).body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Subscript)
            and isinstance(node.value.slice, ast.Tuple)
        ):
            name = _annotation_name(node.value.slice.elts[0])
            if name is not None:
                aliases[node.targets[0].id] = name
    return aliases


def test_no_route_reaches_through_a_service() -> None:
    classes = _classes(_trees(PACKAGE.rglob("*.py")))
    aliases = _dependencies()
    found = []
    for path in sorted((PACKAGE / "api" / "routes").glob("*.py")):
        for func in ast.walk(ast.parse(path.read_text())):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            holders = {
                a.arg: aliases.get(name, name)
                for a in func.args.args + func.args.kwonlyargs
                if (name := _annotation_name(a.annotation)) is not None
            }
            for reach in sorted(_reaches(func, holders, classes)):
                found.append(f"{path.relative_to(PACKAGE)} {func.name}: {reach}")
    assert found == []


def test_the_check_sees_a_reach() -> None:
    """The rule's own example: a service that reads another's registry is caught."""
    source = (
        "class Catalog:\n"
        "    def __init__(self, registry: Registry) -> None:\n"
        "        self.registry = registry\n"
        "    def spec(self, name): return self.registry.models.get(name)\n"
        "class Admin:\n"
        "    def __init__(self, catalog: Catalog) -> None:\n"
        "        self.catalog = catalog\n"
        "    def known(self, name): return name in self.catalog.registry.models\n"
        "    def fine(self, name): return self.catalog.spec(name)\n"
    )
    tree = ast.parse(source)
    classes = _classes([tree])
    assert _reaches(tree.body[1], classes["Admin"].collaborators, classes) == {
        "catalog.registry (line 8)"
    }
