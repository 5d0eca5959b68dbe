"""Import boundaries: every top-level module of the package has an entry in the table
(``admit.devtools.slices``), each imports only what its entry allows, pure modules reach no
I/O however indirectly, no import is relative, no import cycle runs between modules or
between the table's entries, and the product imports no test code (test doubles live under
``tests/``).

Every import form counts: ``import admit.x.y``, ``from admit.x import y`` (``y`` a module:
``from admit.sales import models`` is ``admit.sales.models``), ``from admit import sales``,
``import admit`` and relative imports (refused, and resolved so their target is checked too).
``python -m admit.devtools.boundaries`` exits 1 on any breach; with ``--docs`` it rewrites the
generated part of ``docs/architecture.md`` instead."""

from __future__ import annotations

import argparse
import ast
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from admit.devtools.architecture_doc import DOC, rewrite
from admit.devtools.slices import BOUNDARIES, Boundaries, Slice

PACKAGE = Path(__file__).resolve().parents[1]
NAME = "admit"


@dataclass(frozen=True)
class Import:
    """One imported module, absolute, as specific as the import names it."""

    line: int
    module: str
    relative: bool = False


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _is_tables(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "models" or last.endswith("_models")


class Tree:
    """The package's source files under ``root`` and what each imports, parsed once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py"))
        self._known = set(self.files)
        self._imports: dict[str, list[Import]] = {}

    def file_of(self, module: str) -> str | None:
        """The file that defines ``module`` (``admit.a.b``), if it is in the tree."""
        first, *parts = module.split(".")
        if first != NAME:
            return None
        found = ["/".join([*parts, "__init__.py"])] + (["/".join(parts) + ".py"] if parts else [])
        return next((rel for rel in found if rel in self._known), None)

    def loaded_by(self, module: str) -> list[str]:
        """The files importing ``module`` runs: its packages' ``__init__.py``, then itself."""
        parts = module.split(".")
        names = [".".join(parts[: i + 1]) for i in range(len(parts))]
        return [rel for rel in map(self.file_of, names) if rel is not None]

    def module_of(self, rel: str) -> str:
        parts = [NAME, *rel.removesuffix(".py").split("/")]
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    def imports(self, rel: str) -> list[Import]:
        if rel not in self._imports:
            self._imports[rel] = list(self._parse(rel))
        return self._imports[rel]

    def _parse(self, rel: str) -> Iterator[Import]:
        tree = ast.parse((self.root / rel).read_text(), filename=rel)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(node.lineno, alias.name)
            elif isinstance(node, ast.ImportFrom):
                for module in self._from_targets(rel, node):
                    yield Import(node.lineno, module, relative=node.level > 0)

    def _from_targets(self, rel: str, node: ast.ImportFrom) -> list[str]:
        base = node.module or ""
        if node.level:
            package = [NAME, *rel.split("/")[:-1]]
            kept = package[: max(1, len(package) - node.level + 1)]
            base = ".".join([*kept, *([base] if base else [])])
        if base.split(".")[0] != NAME:
            return [base]
        # ``from admit.x import y``: y is a module when the tree has one by that name.
        targets = [f"{base}.{a.name}" for a in node.names]
        found = [t if self.file_of(t) else base for t in targets]
        return list(dict.fromkeys(found))


def _entry_name(module: str, table: Boundaries) -> str:
    """The table entry an ``admit…`` module belongs to (``admit`` alone: ``__init__.py``)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__.py"
    as_file = f"{parts[1]}.py"
    return as_file if as_file in table.names else parts[1]


def _missing_entries(tree: Tree, table: Boundaries) -> Iterator[str]:
    for top in sorted({rel.split("/")[0] for rel in tree.files} - table.names):
        yield f"{top}: new top-level module {top!r} has no entry in admit/devtools/slices.py"


def _relative_breaches(rel: str, tree: Tree) -> Iterator[str]:
    lines = sorted({i.line for i in tree.imports(rel) if i.relative})
    for line in lines:
        yield f"{rel}:{line}: relative import (write it from {NAME}.…)"


def _slice_breach(rel: str, own: Slice, imp: Import, table: Boundaries) -> str | None:
    other = _entry_name(imp.module, table)
    if other == own.name or own.anything:
        return None
    if Path(rel).name.endswith(table.entrypoint_suffixes) and _under(
        imp.module, table.entrypoint_imports
    ):
        return None
    where = f"{rel}:{imp.line}: {own.name!r}"
    if _is_tables(imp.module):
        if other in own.reads:
            return None
        if other in own.imports:
            return f"{where} may not use {other!r}'s tables ({imp.module})"
    if other in own.imports:
        return None
    return f"{where} may not import {imp.module} ({other!r} is not among its dependencies)"


def _slice_breaches(rel: str, tree: Tree, table: Boundaries) -> Iterator[str]:
    own = table.entry(rel.split("/")[0])
    if own is None:
        return  # reported once as a missing entry
    for imp in tree.imports(rel):
        if imp.module.split(".")[0] == NAME:
            found = _slice_breach(rel, own, imp, table)
            if found:
                yield found


def _test_only_breaches(rel: str, tree: Tree, table: Boundaries) -> Iterator[str]:
    for imp in tree.imports(rel):
        if imp.module.split(".")[0] in table.test_only_imports:
            yield f"{rel}:{imp.line}: the product imports test code ({imp.module})"


def _impure_chain(tree: Tree, table: Boundaries, module: str, seen: set[str]) -> list[str] | None:
    """The shortest chain of files from importing ``module`` to an impure import, ending
    with that import (``[module]`` when it is impure itself); ``None`` when there is none."""
    if _under(module, table.impure_imports):
        return [module]
    queue: deque[list[str]] = deque()
    for rel in tree.loaded_by(module):
        if rel not in seen:
            seen.add(rel)
            queue.append([rel])
    while queue:
        path = queue.popleft()
        for imp in tree.imports(path[-1]):
            if _under(imp.module, table.impure_imports):
                return [*path, imp.module]
            if imp.module.split(".")[0] != NAME:
                continue
            for rel in tree.loaded_by(imp.module):
                if rel not in seen:
                    seen.add(rel)
                    queue.append([*path, rel])
    return None


def _described(chain: list[str]) -> str:
    return " which imports ".join(chain)


def _purity_breaches(rel: str, tree: Tree, table: Boundaries) -> Iterator[str]:
    """A pure module imports, however indirectly, nothing impure; importing it runs its
    packages' ``__init__.py`` too, so they must be as clean."""
    if rel not in tree.files:
        yield f"{rel}: listed as a pure module but not in the package"
        return
    packages = tree.loaded_by(tree.module_of(rel))[:-1]
    seen = {rel}
    for init in packages:
        chain = _impure_chain(tree, table, tree.module_of(init), seen)
        if chain:
            yield f"{rel}: pure module's package {chain[0]} imports {_described(chain[1:])}"
    for imp in tree.imports(rel):
        chain = _impure_chain(tree, table, imp.module, {rel, *packages})
        if chain:
            yield f"{rel}:{imp.line}: pure module imports {_described(chain)}"


def _first_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return list(reversed(exc.args[1]))  # in import order: a imports b imports … a
    return None


def _cycle_breaches(tree: Tree, table: Boundaries) -> Iterator[str]:
    """The first cycle between modules (every import counts, a function's too: each is an
    arrow one way), and between the table's entries. One at a time: break it, run again."""
    modules = {
        rel: {f for i in tree.imports(rel) if (f := tree.file_of(i.module)) and f != rel}
        for rel in tree.files
    }
    if cycle := _first_cycle(modules):
        yield f"{cycle[0]}: import cycle: {' -> '.join(cycle)}"
    entries = {e.name: set(e.imports) | set(e.reads) for e in table.slices if not e.anything}
    if cycle := _first_cycle(entries):
        yield f"slices.py: the table allows a cycle: {' -> '.join(cycle)}"


def breaches(root: Path = PACKAGE, table: Boundaries = BOUNDARIES) -> list[str]:
    """Every breach of ``table`` in the package at ``root``, one line each."""
    tree = Tree(root)
    found = list(_missing_entries(tree, table))
    for rel in tree.files:
        found.extend(_relative_breaches(rel, tree))
        found.extend(_slice_breaches(rel, tree, table))
        found.extend(_test_only_breaches(rel, tree, table))
    for rel in table.pure:
        found.extend(_purity_breaches(rel, tree, table))
    found.extend(_cycle_breaches(tree, table))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m admit.devtools.boundaries")
    parser.add_argument(
        "--docs",
        action="store_true",
        help="rewrite docs/architecture.md's generated part from the table instead of checking",
    )
    if parser.parse_args(argv).docs:
        print(f"{DOC}: {'rewritten' if rewrite(DOC) else 'already current'}")  # noqa: T201
        return 0
    found = breaches()
    for line in found:
        print(line)  # noqa: T201
    print(f"import boundaries: {len(found)} breach(es)")  # noqa: T201
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
