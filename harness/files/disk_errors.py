"""A write that the disk or the folder refused (full, read-only, no permission, over quota), told in one line.

Such an error is the user's to fix, not a bug: the command stops with exit 2 and a line naming the path and the
error in words; the atomic writes (harness.files.atomic_io) mean every result written before it is whole and kept.
"""

from __future__ import annotations

import errno
from typing import Optional

DISK_ERRNOS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exhausted",
               errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
               errno.EPERM: "the operation is not permitted", errno.EFBIG: "the file is larger than allowed"}


def disk_error_message(exc: BaseException) -> Optional[str]:
    """"cannot write PATH: <what> (ENOSPC, No space left on device)" for a disk/folder error, else None."""
    if not isinstance(exc, OSError) or exc.errno not in DISK_ERRNOS:
        return None
    where = exc.filename or "a file"
    return f"cannot write {where}: {DISK_ERRNOS[exc.errno]} ({errno.errorcode[exc.errno]}, {exc.strerror})"


def with_path(exc: OSError, path) -> OSError:
    """The same error naming ``path`` when it named no file (a write() or fsync() into a full disk names none)."""
    if exc.filename is None and exc.errno is not None:
        return OSError(exc.errno, exc.strerror, str(path))
    return exc
