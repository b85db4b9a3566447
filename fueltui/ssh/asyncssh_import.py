"""asyncssh, imported without its searches for optional C libraries.

At import asyncssh looks for two libraries with `ctypes.util.find_library`: liboqs ("oqs",
"liboqs"; `asyncssh.crypto.pq`, for the sntrup761 key exchange) and nettle ("nettle", ...;
`asyncssh.crypto.umac`, for the umac-* MACs). On Linux each look-up runs `ldconfig -p` and,
when that finds nothing and a compiler is installed, `gcc` and `ld`: 7 processes and 0.02–0.07 s
in every cold fan-out, CLI command and master start. fueltui uses neither: `Fanout` offers no
sntrup761 key exchange (ML-KEM, should it ever be offered, comes from `cryptography`'s
OpenSSL, not liboqs) and only AEAD ciphers, with which no MAC is negotiated. asyncssh has no
setting that skips the search, so those names are answered "not found" while asyncssh
imports, and `ctypes.util.find_library` is the standard one again as soon as it has.

Every fueltui module takes asyncssh from here (`from fueltui.ssh.asyncssh_import import
asyncssh`); the first import decides, and a later `import asyncssh` anywhere gets the same
module.
"""

from __future__ import annotations

import contextlib
import ctypes.util
from collections.abc import Iterator

__all__ = ["asyncssh"]

# The names asyncssh tries, in asyncssh/crypto/pq.py and asyncssh/crypto/umac.py.
_UNUSED_LIBRARIES = frozenset({"oqs", "liboqs", "nettle", "libnettle", "libnettle-6"})


@contextlib.contextmanager
def _unused_libraries_not_searched() -> Iterator[None]:
    standard = ctypes.util.find_library

    def find_library(name: str) -> str | None:
        return None if name in _UNUSED_LIBRARIES else standard(name)

    ctypes.util.find_library = find_library
    try:
        yield
    finally:
        ctypes.util.find_library = standard


with _unused_libraries_not_searched():
    import asyncssh
