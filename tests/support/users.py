"""A throw-away second Linux user, for the tests of invariant 9 (peers of another user)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import pytest

__all__ = ["other_user"]


@pytest.fixture
def other_user() -> Iterator[str]:
    """A throw-away Linux user, removed afterwards."""
    name = f"bq{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True
    )
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], check=True)
