"""The package's layers, checked: imports point down, never up or across, and no circle.

The layers are folders (``jaxmeans/_core``, ``_runtime``, ...); the README's architecture
section draws the same picture (``tests/test_docs.py`` checks that it names the same
modules).
"""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "jaxmeans"

# Each layer may import its own modules and those of lower layers. The core and the file
# helpers import nothing of jaxmeans above them; the public modules sit on top.
LAYERS = {
    "jaxmeans.exceptions": 0,
    "jaxmeans._core": 1,
    "jaxmeans._io": 1,
    "jaxmeans._runtime": 2,
    "jaxmeans._api": 3,
    "jaxmeans._estimators": 3,
}
PUBLIC = 4  # jaxmeans/__init__, datasets, metrics, plot, cli, demo, __main__


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _imports(name: str, path: pathlib.Path) -> set[str]:
    """Modules of the package that ``name`` imports (relative imports; absolute imports
    of jaxmeans inside jaxmeans are not used)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            if node.module:
                found.add(".".join([*base, node.module]))
            else:
                found.update(".".join([*base, alias.name]) for alias in node.names)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            absolute = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            absolute += [node.module] if isinstance(node, ast.ImportFrom) else []
            assert not any(m and m.startswith("jaxmeans") for m in absolute), (
                f"{name} imports jaxmeans absolutely; use a relative import"
            )
    return found


def _layer(module: str) -> tuple[str, int]:
    for prefix, rank in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return prefix, rank
    return "jaxmeans", PUBLIC


def _graph():
    modules = dict(_modules())
    names = set(modules)
    graph = {}
    for m, p in modules.items():
        found = set()
        for target in _imports(m, p):
            # "from . import x" names a module or a name in a package's __init__.
            found.add(target if target in names else target.rpartition(".")[0])
        graph[m] = found & names - {m, "jaxmeans"}
    return graph


def test_every_module_sits_in_a_layer_and_imports_only_downwards():
    upward = []
    for module, targets in _graph().items():
        layer, rank = _layer(module)
        for target in targets:
            other, other_rank = _layer(target)
            if other != layer and other_rank >= rank:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_the_core_imports_nothing_but_jax_and_itself():
    outside = {}
    for name, path in _modules():
        if not name.startswith("jaxmeans._core"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                roots = {node.module.split(".")[0]}
            else:
                continue
            extra = roots - {"jax", "__future__", "typing", "collections", "dataclasses",
                             "functools", "math", "sys", "threading"}  # fmt: skip
            if extra:
                outside[name] = sorted(extra)
    assert outside == {}  # no NumPy, no files: arrays in, arrays out


def _bound_names(path: pathlib.Path) -> set[str]:
    """Names a module binds at its top level (definitions, assignments, imports)."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
            if any(isinstance(t, ast.Name) and t.id == "_WHERE" for t in targets):
                # The package's public names, imported on first use (PEP 562).
                names.update(key.value for key in node.value.keys)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def test_every_relative_import_names_a_module_or_a_name_that_exists():
    # (A module moved away but still imported would otherwise pass where an older copy of
    # the package is installed beside this one.)
    modules = dict(_modules())
    missing = []
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.level):
                continue
            base = ".".join(package[: len(package) - (node.level - 1)])
            source = f"{base}.{node.module}" if node.module else base
            if source not in modules:
                missing.append(f"{name}: from {source}")
                continue
            for alias in node.names:
                if f"{source}.{alias.name}" not in modules and alias.name not in _bound_names(
                    modules[source]
                ):
                    missing.append(f"{name}: {alias.name} from {source}")
    assert missing == []


def test_no_import_circle():
    graph = _graph()
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


def test_one_module_reads_the_backend():
    readers = {name for name, p in _modules() if "default_backend()" in p.read_text()}
    assert readers == {"jaxmeans._runtime.placement"}


def test_the_tests_mirror_the_package():
    tests = pathlib.Path(__file__).resolve().parent
    folders = {p.name for p in tests.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert folders == {"core", "runtime", "api", "estimators"}
    for folder in folders:
        assert (PACKAGE / f"_{folder}").is_dir()
