"""A calibration's cache of finished cells (``calibrate --cache DIR``), on joblib's ``Memory``
with a data-only store.

joblib stores a result as a pickle, and loading a pickle runs whatever it names: a cache on a
cluster's shared disk (where Dask users put it) let anyone who can write there run code in
every sweep, and report a forged verdict with it (issue 26).  :class:`JSONStore` keeps joblib's
keys, layout and concurrency-safe writes and replaces the pickle with JSON
(:data:`checks.records.CACHE_SCHEMA`): loading an entry parses text, and nothing it holds is
run.  Reads are of regular files, bounded; writes create their files exclusively, never
through a symlink, and only below the cache directory.

An entry is checked before it is used (:func:`checked`): its form, its verdict against its
own outcomes, and the cell and code version it was stored under against the ones asked for.
An entry that fails is recomputed and stored again, and the sweep reports it.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from joblib import Memory, register_store_backend
from joblib._store_backends import FileSystemStoreBackend
from joblib.memory import MemorizedFunc

from checks.files import UnsafeFile, create_exclusive, read_bytes, strict_json
from checks.records import CACHE_SCHEMA, problem

#: the largest file of the store that is read: an entry is about 1 kB, joblib's metadata
#: and the cached function's source a few kB
MAX_ENTRY = 1 << 20
_OUTPUT = "output.json"
BACKEND = "icl-verify-json"


class JSONStore(FileSystemStoreBackend):
    """joblib's file-system store, with JSON items in place of pickles and files opened
    safely (:meth:`_open_item`)."""

    def configure(self, location: str, verbose: int = 0, backend_options: dict | None = None) -> None:
        # joblib's own writes a .gitignore with open(), which follows a dangling symlink planted
        # there: created exclusively instead, and left alone where anything is in its place
        self.location, self.verbose, self.compress, self.mmap_mode = location, verbose, False, None
        os.makedirs(location, exist_ok=True)
        try:
            with os.fdopen(create_exclusive(Path(location) / ".gitignore"), "w") as handle:
                handle.write("# Created by icl-verify's calibration cache (joblib)\n*\n")
        except OSError:
            pass

    def _inside(self, path: str) -> str:
        """``path``, refused unless it resolves below the store (a symlinked directory planted
        in a shared cache would send writes elsewhere)."""
        root = os.path.realpath(self.location)
        if os.path.commonpath([root, os.path.realpath(path)]) != root:
            raise UnsafeFile(0, "leads outside the cache directory", path)
        return path

    def _open_item(self, f: str, mode: str) -> IO[bytes]:
        # joblib reads metadata.json and func_code.py, and writes temporary files it then
        # renames: reads bounded and of regular files; writes exclusive, never through a link
        if "r" in mode:
            return io.BytesIO(read_bytes(Path(self._inside(f)), MAX_ENTRY))
        return os.fdopen(create_exclusive(Path(self._inside(f))), "wb")

    def create_location(self, location: str) -> None:
        super().create_location(self._inside(location))

    def clear_location(self, location: str) -> None:
        # joblib clears a function's entries when its recorded source differs: never through a
        # symlinked folder, which would delete what lies outside the cache
        super().clear_location(self._inside(location))

    def get_cached_func_code(self, call_id: list[str]) -> str:
        """joblib's record of the cached function's source, which must be text starting with
        its ``# first line: N`` header; a file planted there that is not (joblib's own parser
        fails on it) counts as missing: joblib writes it anew and recomputes."""
        path = os.path.join(self.location, *call_id, "func_code.py")
        data = self._open_item(path, "rb").read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafeFile(errno.EINVAL, "not UTF-8", path) from None
        # joblib's parser calls int() on the number: a 5000-digit one raised in the sweep
        if not re.match(r"# first line: -?[0-9]{1,9}\n", text):
            raise UnsafeFile(errno.EINVAL, "not joblib's record of a function", path)
        return text

    def load_item(self, call_id: list[str], verbose: int = 1, timestamp: float | None = None,
                  metadata: dict | None = None) -> Any:
        """The entry as parsed JSON, or ``{"unreadable": why}``: never an exception, which
        joblib would print with its traceback."""
        path = os.path.join(self.location, *call_id, _OUTPUT)
        try:
            return strict_json(self._open_item(path, "rb").read())
        except (OSError, ValueError, RecursionError) as err:
            return {"unreadable": " ".join(str(err).split())[:160]}

    def dump_item(self, call_id: list[str], item: Any, verbose: int = 1) -> None:
        item_path = os.path.join(self.location, *call_id)
        self.create_location(item_path)

        def write(value: Any, destination: str) -> None:
            with self._open_item(destination, "wb") as handle:
                handle.write(json.dumps(value).encode())

        self._concurrency_safe_write(item, os.path.join(item_path, _OUTPUT), write)

    def contains_item(self, call_id: list[str]) -> bool:
        return self._item_exists(os.path.join(self.location, *call_id, _OUTPUT))


register_store_backend(BACKEND, JSONStore)


def memory(directory: Path) -> Memory:
    """joblib's Memory on ``directory`` with the JSON store."""
    return Memory(directory, backend=BACKEND, verbose=0)


def stored_entry(function: MemorizedFunc, *args: Any) -> Any:
    """What the store holds for ``function(*args)``, as :meth:`JSONStore.load_item` reads it
    (an entry gone since it was found reads as unreadable): read, never computed, as calling
    ``function`` would do when the entry is missing.  The key is joblib's own
    (``MemorizedFunc.check_call_in_cache`` builds it alike)."""
    return function.store_backend.load_item([function.func_id, function._get_args_id(*args)])


def entry(cell: Any, version: str, result: dict) -> dict:
    """What the cache stores for a cell: the cell and version with its result, so that an
    entry copied under another key is seen (:func:`checked`)."""
    return {"cell": asdict(cell), "version": version, "result": result}


def checked(stored: Any, cell: Any, version: str) -> tuple[dict | None, str | None]:
    """The result a stored entry holds for ``cell`` at ``version``, or None and why not."""
    if isinstance(stored, dict) and "unreadable" in stored and len(stored) == 1:
        return None, f"unreadable ({stored['unreadable']})"
    why = problem(stored, CACHE_SCHEMA)
    if why is None and (stored["cell"] != asdict(cell) or stored["version"] != version):
        why = "stored for another cell or code version"
    return (None, why) if why else (stored["result"], None)
