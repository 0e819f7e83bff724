"""Freed memory is overwritten before Chroma allocates (glibc M_PERTURB)."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = r"""
import ctypes
from persona.memory import overwrite_freed_memory
assert overwrite_freed_memory() is True
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
size = 64 * 1024
first = libc.malloc(size)
ctypes.memmove(first, b"NW000001," * (size // 9), size // 9 * 9)
libc.free(first)
second = libc.malloc(size)  # glibc hands back the same chunk
data = ctypes.string_at(second, size)
assert b"NW000001" not in data, "a freed customer id survived into a new allocation"
print("clean")
"""

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")


def test_a_new_allocation_never_holds_freed_bytes() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "clean"


def test_without_perturb_the_same_allocation_does_hold_them() -> None:
    # The check above can fail: without M_PERTURB glibc returns the stale bytes.
    script = CHECK.replace("assert overwrite_freed_memory() is True\n", "")
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0 and "survived" in done.stderr
