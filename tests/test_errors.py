"""Every error causa raises on purpose is a CausaError of its package's family, with the exit code the CLI returns."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import causa
from causa.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_LOCKED, CausaError
from causa.nlp.errors import NlpError
from causa.pipelines.errors import PipelineError
from causa.storage.errors import StorageError

FAMILIES = {"causa.nlp": NlpError, "causa.storage": StorageError, "causa.pipelines": PipelineError}
EXIT_CODES = {"CausaError": EXIT_FAILED, "LakeLockedError": EXIT_LOCKED, "SourceError": EXIT_FAILED,
              "NightFailed": EXIT_FAILED, "LakeFull": EXIT_FAILED}
"""The errors that do not mean bad input (exit 2): the root's default, another run holds the lake, a source could
not be read, every source of a night failed, the lake's disk refused a write."""
STILL_VALUE_ERRORS = ("SettingsError", "RegistryError", "StateError", "LakeLocationError", "PromotionRefused",
                      "ExecutorError", "InvalidRecord", "LabelsError", "TableFileError")
STILL_RUNTIME_ERRORS = ("ModelIntegrityError", "LakeLockedError", "SourceError")


def causa_modules() -> list[str]:
    """Every module of the installed causa package."""
    names = [module.name for module in pkgutil.iter_modules(causa.__path__, "causa.") if not module.ispkg]
    for package in FAMILIES:
        root = importlib.import_module(package)
        names.append(package)
        names += [module.name for module in pkgutil.walk_packages(root.__path__, f"{package}.")]
    return names


def error_classes() -> dict[str, type[BaseException]]:
    """Each exception class defined in causa's modules, by its dotted name."""
    found = {}
    for name in causa_modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == name:
                found[f"{name}.{cls.__qualname__}"] = cls
    return found


ERRORS = error_classes()


def family_of(name: str) -> type[CausaError]:
    return next((family for package, family in FAMILIES.items() if name.startswith(package + ".")), CausaError)


def test_the_walk_finds_the_errors_of_every_package() -> None:
    short = {cls.__name__ for cls in ERRORS.values()}
    assert {"ModelIntegrityError", "LabelsError", "LakeLockedError", "RegistryError", "PromotionRefused",
            "SettingsError", "SourceError", "InvalidRecord", "TableFileError"} <= short
    assert {family_of(name) for name in ERRORS} == {CausaError, *FAMILIES.values()}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_each_error_is_a_causa_error_of_its_package(name: str) -> None:
    cls = ERRORS[name]
    assert issubclass(cls, family_of(name)), f"{name} derives from {[base.__name__ for base in cls.__mro__]}"
    assert cls.exit_code == EXIT_CODES.get(cls.__name__, EXIT_BAD_INPUT)


def test_errors_callers_catch_as_builtin_errors_still_are() -> None:
    by_name = {cls.__name__: cls for cls in ERRORS.values()}
    assert all(issubclass(by_name[name], ValueError) for name in STILL_VALUE_ERRORS)
    assert all(issubclass(by_name[name], RuntimeError) for name in STILL_RUNTIME_ERRORS)
    assert issubclass(by_name["TableFileNotFound"], FileNotFoundError)
    assert issubclass(by_name["LakeFull"], OSError)
