import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["DJANGO_SECRET_KEY", "TOKEN_ENCRYPTION_KEY"])
def test_empty_secret_stops_startup(name):
    env = {**os.environ, name: ""}

    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert f"{name} is missing or empty. Run `make env`" in result.stderr
