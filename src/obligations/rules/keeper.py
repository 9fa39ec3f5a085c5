"""The catalog a long-running process (the web app) serves: the last one that loaded without
errors, kept while an administrator's edit in the data directory is invalid, with that edit's
problems for the administrators to see.

A CLI command fails on an invalid catalog instead (exit 2, every problem listed): it is run by
the person who can fix it. A server must go on answering the people who cannot.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from obligations.rules.catalog import Catalog, catalog_files, load_catalog, load_catalog_files
from obligations.rules.problems import CatalogInvalid, CatalogProblem, Severity

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(dirs: Sequence[Path]) -> Fingerprint:
    """Each catalog file in force with its modification time (ns) and size: changes when a
    file is added, removed or written."""
    marks = []
    for name, path in sorted(catalog_files(dirs).items()):
        try:
            stat = path.stat()
        except OSError:  # removed while listed
            continue
        marks.append((name, stat.st_mtime_ns, stat.st_size))
    return tuple(marks)


def without_faulty_files(
    dirs: Sequence[Path], shipped: Sequence[Path], problems: list[CatalogProblem]
) -> Catalog:
    """The catalog of ``dirs`` with each file named by an error replaced by its shipped copy
    (or left out), tried twice (leaving a file out may break another), then the shipped one."""
    files = catalog_files(dirs)
    fallback = catalog_files(shipped)
    for _ in range(2):
        faulty = {p.file for p in problems}
        for name, path in list(files.items()):
            if path in faulty:
                if name in fallback and fallback[name] != path:
                    files[name] = fallback[name]
                else:
                    del files[name]
        try:
            return load_catalog_files(files)
        except CatalogInvalid as exc:
            problems = exc.problems
    return load_catalog(shipped)


@dataclass
class CatalogKeeper:
    """The catalog in force from ``dirs()`` (the shipped folder first, then the data
    directory's), re-read when a file changes (looked at most every ``interval`` seconds).

    ``current()`` is the newest catalog that loaded; when the files in force do not load,
    :attr:`problems` lists why and the last good catalog stays, or, if none loaded yet in this
    process, the catalog without the files that have errors (the shipped copy of such a file
    where there is one; ``shipped`` is the shipped folder). Raises
    :class:`~obligations.rules.problems.CatalogInvalid` only if the shipped catalog itself is
    invalid.
    """

    dirs: Callable[[], Sequence[Path]]
    shipped: Sequence[Path]
    interval: float = 1.0
    clock: Callable[[], float] = time.monotonic
    problems: list[CatalogProblem] = field(default_factory=list)
    _catalog: Catalog | None = None
    _seen: Fingerprint | None = None
    _looked_at: float | None = None

    def current(self) -> Catalog:
        now = self.clock()
        looked = self._looked_at
        if self._catalog is not None and looked is not None and now - looked < self.interval:
            return self._catalog
        self._looked_at = now
        dirs = list(self.dirs())
        seen = fingerprint(dirs)
        if self._catalog is not None and seen == self._seen:
            return self._catalog
        self._seen = seen
        try:
            self._catalog = load_catalog(dirs)
            self.problems = []
        except CatalogInvalid as exc:
            self.problems = [p for p in exc.problems if p.severity is Severity.ERROR]
            if self._catalog is None:
                self._catalog = without_faulty_files(dirs, self.shipped, self.problems)
        return self._catalog

    @property
    def serving_last_good(self) -> bool:
        """Whether the catalog served is not the one in the files (they have errors)."""
        return bool(self.problems)
