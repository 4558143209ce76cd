"""Loading case files: every ``@case`` (or ``@family``) in a file or a folder, with one-line
problems for the rest.

A file that cannot be imported, a case defined wrongly or a name used twice is reported as a
problem (``file:line: what``) and the cases that are fine still load: whether to run them is the
caller's choice. A file reached twice (through its folder and by name) is loaded once. A user's
case takes the place of a built-in one of the same name (:func:`in_place_of_builtin`).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from .cases import Case, display_path
from .families import Family
from .messages import last_frame_in


def builtin_cases_dir() -> Path:
    """Where the built-in cases live: the installed ``diffstudy.builtin_cases``, or ``cases/``."""
    spec = importlib.util.find_spec("diffstudy.builtin_cases")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent.parent / "cases"


def _ignore(error: BaseException) -> None:
    pass


def _import(path: Path, on_error: Callable[[BaseException], None]) -> tuple[ModuleType | None, list[str]]:
    """Import one case file: the module, or None and a one-line problem (``file:line: what``)."""
    filename = os.path.abspath(path)
    module_name = f"diffstudy_case_file_{abs(hash(filename))}"
    spec = importlib.util.spec_from_file_location(module_name, filename)
    if spec is None or spec.loader is None:
        return None, [f"{display_path(filename)}: cannot be loaded as a Python file"]
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        del sys.modules[module_name]
        on_error(error)
        return None, [f"{display_path(error.filename or filename)}:{error.lineno}: syntax error: {error.msg}"]
    except (Exception, SystemExit) as error:
        del sys.modules[module_name]
        on_error(error)
        frame = last_frame_in(error, filename)
        where = f"{display_path(filename)}:{frame.lineno}" if frame else display_path(filename)
        return None, [f"{where}: {type(error).__name__}: {error}"]
    return module, []


def _marked(module: ModuleType, mark: str, filename: str) -> list[Any]:
    """What the module defines with ``mark`` (a case or a family), not what it imported."""
    found = [getattr(obj, mark) for obj in vars(module).values() if hasattr(obj, mark)]
    return [item for item in found if item.file == filename]


def load_file(path: Path, on_error: Callable[[BaseException], None] = _ignore) -> tuple[list[Case], list[str]]:
    """Import one case file: its cases, and one-line problems (``file:line: what``).

    ``on_error`` sees the exception of a file that fails to load (to print its traceback).
    """
    module, problems = _import(path, on_error)
    if module is None:
        return [], problems
    return _cases_in(module, path)


def _cases_in(module: ModuleType, path: Path) -> tuple[list[Case], list[str]]:
    """The cases a module defines, and a problem for each defined wrongly."""
    cases = _marked(module, "__diffstudy_case__", os.path.abspath(path))
    return [c for c in cases if not c.problem], [f"{c.where}: {c.problem}" for c in cases if c.problem]


def _families_in(module: ModuleType, path: Path) -> tuple[list[Family], list[str]]:
    """The families a module defines, and a problem for each defined wrongly."""
    found = _marked(module, "__diffstudy_family__", os.path.abspath(path))
    problems = [f"{display_path(f.file or str(path))}: {f.problem}" for f in found if f.problem]
    return [f for f in found if not f.problem], problems


def load_families(
    paths: Iterable[Path], on_error: Callable[[BaseException], None] = _ignore
) -> tuple[list[Family], list[str]]:
    """Every ``@family`` under ``paths``, and one-line problems (a path that does not exist, a
    file that does not load, a family defined wrongly, a file with no family)."""
    families: list[Family] = []
    problems: list[str] = []
    for path, file in _files_under(paths, problems):
        module, trouble = _import(file, on_error)
        problems.extend(trouble)
        if module is None:
            continue
        found, trouble = _families_in(module, file)
        problems.extend(trouble)
        families.extend(found)
        if path.is_file() and not found and not trouble:  # a file named on its own; a folder may hold cases too
            problems.append(f"{display_path(str(file))}: no @family in this file")
    return _named_once(families, "family", lambda family: family.where, problems), problems


def _files_under(paths: Iterable[Path], problems: list[str]) -> Iterator[tuple[Path, Path]]:
    """Each case file under ``paths`` once, with the path that first named it; a path that does
    not exist is added to ``problems``."""
    seen: set[Path] = set()
    for path in paths:
        if not path.exists():
            problems.append(f"{path}: no such file or folder")
            continue
        for file in case_files(path):
            if file.resolve() not in seen:  # a file named directly and through its folder is one file
                seen.add(file.resolve())
                yield path, file


def case_files(path: Path) -> list[Path]:
    """The case files a path names: the file itself, or a folder's ``*.py`` (not ``_*.py``)."""
    if path.is_dir():
        return sorted(p for p in path.glob("*.py") if not p.name.startswith("_"))
    return [path]


def load_cases(
    paths: Iterable[Path], on_error: Callable[[BaseException], None] = _ignore
) -> tuple[list[Case], list[str]]:
    """Load every case under ``paths``; problems are reported, never raised, so the rest load.

    Two cases of one name are a problem too, and neither is kept: which one was meant is not
    for the loader to guess.
    """
    cases: list[Case] = []
    problems: list[str] = []
    for path, file in _files_under(paths, problems):
        found, trouble = load_file(file, on_error)
        problems.extend(trouble)
        if path.is_file() and not found and not trouble:  # a file named on its own, with nothing to run
            problems.append(
                f"{display_path(str(file))}: no @case in this file (a @family is swept by swell or cost --cases)"
            )
        cases.extend(found)
    return _named_once(cases, "case", lambda c: c.where, problems), problems


def _named_once(items: list[Any], what: str, where: Callable[[Any], str], problems: list[str]) -> list[Any]:
    """The items whose name no other item has; each name defined more than once is a problem
    naming every place it is defined."""
    places: dict[str, list[str]] = {}
    for item in items:
        places.setdefault(item.name, []).append(where(item))
    for name, found in places.items():
        if len(found) > 1:
            problems.append(f"{found[-1]}: {what} {name!r} is also defined at {', '.join(found[:-1])}: rename one")
    return [item for item in items if len(places[item.name]) == 1]


def in_place_of_builtin(builtin: list[Case], user: list[Case]) -> tuple[list[Case], dict[str, str]]:
    """The built-in cases and the user's, a user's case taking the place of a built-in one of
    the same name (the user's file is what the user asked for); and by the name of each built-in
    case so replaced, a note naming both places. A built-in file the user named again is not a
    case of the user's."""
    builtin_files = {os.path.realpath(c.file) for c in builtin if c.file}
    own = [c for c in user if not c.file or os.path.realpath(c.file) not in builtin_files]
    by_name = {c.name: c for c in own}
    notes = {
        c.name: f"case {c.name!r} of {by_name[c.name].where} is run in place of the built-in one at {c.where}"
        for c in builtin
        if c.name in by_name
    }
    return [c for c in builtin if c.name not in by_name] + own, notes


def load_cases_and_families(
    paths: Iterable[Path], on_error: Callable[[BaseException], None] = _ignore
) -> tuple[list[Case], list[Family], list[str]]:
    """Every ``@case`` and every ``@family`` under ``paths``, each file imported once (``report
    --cases`` measures both), and one-line problems: a file that does not load, a case or family
    defined wrongly, a name defined twice, a file with neither."""
    cases: list[Case] = []
    families: list[Family] = []
    problems: list[str] = []
    for _, file in _files_under(paths, problems):
        module, trouble = _import(file, on_error)
        problems.extend(trouble)
        if module is None:
            continue
        found_cases, case_trouble = _cases_in(module, file)
        found_families, family_trouble = _families_in(module, file)
        problems.extend(case_trouble + family_trouble)
        if not (found_cases or found_families or case_trouble or family_trouble):
            problems.append(f"{display_path(str(file))}: no @case or @family in this file")
        cases.extend(found_cases)
        families.extend(found_families)
    cases = _named_once(cases, "case", lambda c: c.where, problems)
    return cases, _named_once(families, "family", lambda family: family.where, problems), problems
