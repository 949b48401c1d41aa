"""The codebase's seams, checked: no import circle, small modules, one reader of the backend."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "jaxmeans"


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _imports(name: str, path: pathlib.Path) -> set[str]:
    """Modules of the package that ``name`` imports (relative imports only)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            if node.module:
                found.add(".".join([*base, node.module]))
            else:
                found.update(".".join([*base, alias.name]) for alias in node.names)
    return found


def test_no_import_circle():
    modules = dict(_modules())
    graph = {m: _imports(m, p) & set(modules) - {m, "jaxmeans"} for m, p in modules.items()}
    done, active = set(), []

    def visit(m):
        if m in active:
            raise AssertionError(f"import circle: {' -> '.join([*active[active.index(m) :], m])}")
        if m in done:
            return
        active.append(m)
        for dep in sorted(graph[m]):
            visit(dep)
        active.pop()
        done.add(m)

    for m in graph:
        visit(m)


def test_every_module_fits_on_a_few_screens():
    long = {name: n for name, p in _modules() if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def test_one_module_reads_the_backend():
    readers = {name for name, p in _modules() if "default_backend()" in p.read_text()}
    assert readers == {"jaxmeans._tuning"}
