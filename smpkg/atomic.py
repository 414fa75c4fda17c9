"""Directories that appear whole or not at all.

Builds, on-disk stores and releases are read by other processes while new ones are written:
each is written into a temporary directory beside its target and renamed into place only when
complete, so a reader never sees half of one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_directory(target: Path, prefix: str = ".staged-") -> Iterator[Path]:
    """Yield an empty temporary directory beside `target`; when the block succeeds it becomes
    `target` (replacing what was there), when it fails it is removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    try:
        yield tmp
        old = None
        if target.exists():
            # A directory cannot be renamed onto a non-empty one: move the old one aside.
            old = target.parent / f"{prefix}old-{os.getpid()}-{tmp.name}"
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
