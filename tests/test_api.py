"""The public API is what ``__all__`` says, in every package (as httpx's
test_exported_members), and no module hides behind a function of the same name."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import archiver


def _modules() -> list[ModuleType]:
    names = [
        m.name
        for m in pkgutil.walk_packages(archiver.__path__, "archiver.")
        if not m.name.endswith(".__main__")  # importing it runs the command
    ]
    return [archiver, *(importlib.import_module(name) for name in sorted(names))]


def _packages() -> list[ModuleType]:
    return [module for module in _modules() if hasattr(module, "__path__")]


def _submodules(package: ModuleType) -> set[str]:
    return {m.name for m in pkgutil.iter_modules(package.__path__)}


@pytest.mark.parametrize("package", _packages(), ids=lambda p: p.__name__)
def test_the_public_names_of_a_package_are_its_all(package: ModuleType) -> None:
    # dir() as well: a lazy package (archiver, archiver.capture) has a name once used.
    public = {
        name
        for name in {*vars(package), *dir(package)}
        if not name.startswith("_") and not isinstance(getattr(package, name), ModuleType)
    }
    exported = set(package.__all__) - {"__version__"}
    assert public == exported  # the order of __all__ is ruff's (RUF022)


@pytest.mark.parametrize("package", _packages(), ids=lambda p: p.__name__)
def test_no_module_is_shadowed_by_a_name_of_its_package(package: ModuleType) -> None:
    # `import archiver.capture.client as m` must give the module, never a function.
    for name in _submodules(package) - {"__main__"}:
        module = importlib.import_module(f"{package.__name__}.{name}")
        assert getattr(package, name) is module


@pytest.mark.parametrize("module", _modules(), ids=lambda m: m.__name__)
def test_every_exported_class_and_function_is_documented(module: ModuleType) -> None:
    for name in getattr(module, "__all__", ()):
        value = getattr(module, name)  # an AttributeError names a stale __all__
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{module.__name__}.{name} has no docstring"


def test_the_version_is_the_installed_one() -> None:
    from importlib.metadata import version

    assert archiver.__version__ == version("news-archiver")


def test_extracting_imports_no_fetching_warc_or_run_layer() -> None:
    # An extraction worker's memory: httpx and the rest cost it some 25 MB it never uses.
    code = (
        "import sys, archiver; "
        "archiver.extract('<p>' + 'A sentence of text. ' * 30, url='https://example.com/a'); "
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    unused = {
        "httpx",
        "httpcore",
        "anyio",
        "warcio",
        "rich",
        "click",
        "dask",
        "archiver.capture.client",
        "archiver.warc",
        "archiver.runs",
        "archiver.outputs",
        "archiver.cli",
    }
    assert loaded & unused == set()


def test_a_subpackage_is_reached_from_archiver_alone() -> None:
    # As docs/warc.md writes it: the lazy package still gives its subpackages.
    code = "import archiver; print(archiver.warc.salvage.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["salvage"]


def test_the_library_writes_nothing_when_logging_is_not_configured(tmp_path: Path) -> None:
    """A run's warnings (a bad line of a URL list, a bad input) once reached stderr
    through logging's last resort handler, in a program that configured no logging."""
    code = (
        "import archiver, sys\n"
        f"archiver.archive_many(['not a url'], {str(tmp_path / 'out')!r})\n"
        f"archiver.reprocess([{str(tmp_path / 'missing.html')!r}])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (done.stdout, done.stderr) == ("", "")


def test_arguments_of_the_wrong_type_are_named(tmp_path: Path) -> None:
    """They failed deep inside: KeyError 'xml', "argument of type 'int' is not
    iterable", "'FetchConfig' object has no attribute 'extract'"."""
    cases = [
        (lambda: archiver.export([], tmp_path / "x.jsonl", format="xml"), ValueError),  # type: ignore[arg-type]
        (lambda: archiver.extract(b"<p>x</p>", url=5), TypeError),  # type: ignore[arg-type]
        (lambda: archiver.archive_many([], tmp_path, config=archiver.FetchConfig()), TypeError),  # type: ignore[arg-type]
        (lambda: archiver.archive("http://x.test/", config=archiver.BulkConfig()), TypeError),  # type: ignore[arg-type]
    ]
    messages = []
    for call, kind in cases:
        with pytest.raises(kind) as caught:
            call()
        messages.append(str(caught.value))
    assert messages == [
        "format must be one of jsonl, csv, markdown, not 'xml'",
        "the URL must be a str, not int",
        "config must be a BulkConfig, not FetchConfig",
        "config must be a FetchConfig, not BulkConfig",
    ]
    assert list(tmp_path.iterdir()) == []  # refused before anything is made
