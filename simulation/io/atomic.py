"""Output folders that appear whole or not at all."""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False if the
    system cannot (other OS, old kernel, file system without support)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # here, not at the top: only a swap needs it

    renameat2 = None
    # The process's own symbols first (Python links the C library): ctypes.util's
    # find_library would import subprocess and run ldconfig, about 20 ms.
    for name in (None, "libc.so.6"):
        try:
            renameat2 = ctypes.CDLL(name, use_errno=True).renameat2
            break
        except (OSError, AttributeError):
            continue
    if renameat2 is None:
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def swap_in(new: Path, target: Path) -> None:
    """Put folder ``new`` at ``target``, replacing what is there. At every moment
    ``target`` is either the old folder or the new one, never a mix of both; the old one is
    removed afterwards (if killed before that, it is left as a hidden ``.name.old-PID-*``
    sibling, which the next write to ``target`` removes)."""
    if not target.exists():
        os.replace(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the old folder
        return
    # Fallback: two renames. Between them ``target`` is briefly absent, never mixed.
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-{os.getpid()}-", dir=target.parent))
    os.replace(target, aside / target.name)
    os.replace(new, target)
    shutil.rmtree(aside, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(out_dir: Path) -> None:
    """Remove temporary siblings of ``out_dir`` left by a killed writer (its pid is gone)."""
    pattern = re.compile(rf"^\.{re.escape(out_dir.name)}\.(?:tmp|old)-(\d+)-")
    try:
        siblings = list(out_dir.parent.iterdir())
    except OSError:
        return
    for p in siblings:
        m = pattern.match(p.name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))) and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


def umask() -> int:
    """The process's file-creation mask (read without changing it for good)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def fix_mode(path: Path, folder: bool) -> None:
    """Give a ``tempfile``-made path (0700 / 0600) the mode a plain ``mkdir`` / ``open``
    would: 0777 / 0666 less the umask, so colleagues and web servers can read results."""
    os.chmod(path, (0o777 if folder else 0o666) & ~umask())


def _fresh_sibling(out_dir: Path) -> Path:
    """A new temporary folder beside ``out_dir`` named for this process, after removing
    those of killed earlier writers; its mode follows the umask."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-{os.getpid()}-", dir=out_dir.parent))
    fix_mode(tmp, folder=True)
    return tmp


@contextmanager
def atomic_replace(out_dir: Path) -> Iterator[Path]:
    """Yield a fresh temporary sibling folder; on success it replaces ``out_dir`` whole,
    with one rename (an existing ``out_dir`` is swapped out, not merged); on error it is
    removed and ``out_dir`` is left as it was. Temporary siblings of a killed earlier
    writer (``.name.tmp-PID-*`` whose process is gone) are removed first. For the output
    folders of ``run`` and ``compare``."""
    out_dir = Path(out_dir)
    tmp = _fresh_sibling(out_dir)
    try:
        yield tmp
        if out_dir.exists() and not out_dir.is_dir():
            raise NotADirectoryError(f"{out_dir}: exists and is not a folder")
        swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def atomic_dir(out_dir: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success its files move into ``out_dir``
    (created if missing, files replaced one by one if present, other files kept); on error
    it is removed. For adding files to a folder (``analyse`` writing into a sweep folder);
    a folder that must be replaced whole uses :func:`atomic_replace`."""
    out_dir = Path(out_dir)
    tmp = _fresh_sibling(out_dir)
    try:
        yield tmp
        if out_dir.exists():
            for name in os.listdir(tmp):
                os.replace(tmp / name, out_dir / name)
            tmp.rmdir()
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary sibling and one rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        fix_mode(Path(tmp), folder=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
