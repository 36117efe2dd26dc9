"""The hand-written _core.pyi must match the compiled module exactly."""

from __future__ import annotations

import subprocess
import sys


def test_stub_matches_the_extension_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "fastdeid._core"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
