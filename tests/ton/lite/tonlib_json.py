"""TON's tonlib (libtonlibjson, shipped in the `pytonlib` wheel) driven from trio through its C
JSON interface, for the cross-check of the fake liteserver. Only the native library is used
(pytonlib's own Python client is asyncio); its blocking `receive` runs in a worker thread.

`load_tonlib()` returns the library or a reason why it cannot be had (not installed, does not
load on this machine's glibc), for `pytest.skip`.
"""

from __future__ import annotations

import ctypes
import importlib.util
import itertools
import json
import platform
from pathlib import Path
from typing import Any

import trio

REQUEST_LIMIT = 30.0  # seconds a tonlib request may take before the test fails


def load_tonlib() -> tuple[ctypes.CDLL | None, str]:
    """(the library, "") or (None, why not)."""
    spec = importlib.util.find_spec("pytonlib")
    if spec is None or not spec.submodule_search_locations:
        return None, "pytonlib is not installed (pip install 'cocoon[tonlib]')"
    system, machine = platform.system().lower(), platform.machine().lower()
    if system != "linux":
        return None, f"the tonlib check runs on Linux only, not {system}"
    path = Path(spec.submodule_search_locations[0]) / "distlib" / system
    path = path / f"libtonlibjson.{machine}.so"
    if not path.exists():
        return None, f"pytonlib ships no tonlib for {machine}"
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as e:
        return None, f"tonlib does not load here: {e}"
    lib.tonlib_client_json_create.restype = ctypes.c_void_p
    lib.tonlib_client_json_send.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.tonlib_client_json_receive.argtypes = [ctypes.c_void_p, ctypes.c_double]
    lib.tonlib_client_json_receive.restype = ctypes.c_char_p
    lib.tonlib_client_json_destroy.argtypes = [ctypes.c_void_p]
    lib.tonlib_client_json_execute.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.tonlib_client_json_execute.restype = ctypes.c_char_p
    return lib, ""


class TonlibClient:
    """One tonlib client; `request` sends a JSON query and waits for its answer (tonlib's
    updates in between are kept in `updates`)."""

    def __init__(self, lib: ctypes.CDLL, *, verbosity: int = 0) -> None:
        self._lib = lib
        lib.tonlib_client_json_execute(
            None,
            json.dumps(
                {"@type": "setLogVerbosityLevel", "new_verbosity_level": verbosity}
            ).encode(),
        )
        self._client = lib.tonlib_client_json_create()
        self._ids = itertools.count(1)
        self.updates: list[dict[str, Any]] = []

    async def request(self, query: dict[str, Any]) -> dict[str, Any]:
        extra = str(next(self._ids))
        self._lib.tonlib_client_json_send(
            self._client, json.dumps({**query, "@extra": extra}).encode()
        )
        with trio.fail_after(REQUEST_LIMIT):
            while True:
                raw = await trio.to_thread.run_sync(
                    self._lib.tonlib_client_json_receive, self._client, 0.2
                )
                if raw is None:
                    continue
                answer = json.loads(raw)
                if answer.get("@extra") == extra:
                    return answer
                self.updates.append(answer)

    async def init(self, global_config: dict[str, Any]) -> dict[str, Any]:
        """Start tonlib on a global config (no cache: every run starts from init_block)."""
        return await self.request(
            {
                "@type": "init",
                "options": {
                    "@type": "options",
                    "config": {
                        "@type": "config",
                        "config": json.dumps(global_config),
                        "blockchain_name": "cocoon-fake",
                        "use_callbacks_for_network": False,
                        "ignore_cache": True,
                    },
                    "keystore_type": {"@type": "keyStoreTypeInMemory"},
                },
            }
        )

    def close(self) -> None:
        self._lib.tonlib_client_json_destroy(self._client)
