"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder holding the real ``mnist/`` and ``fashion-mnist/`` IDX files.

    ``$LOTTERY_KERAS_DATA`` if set, else ``<repo>/../shared/data``; fails (never skips)
    when neither holds the data, so a missing data set cannot pass silently.
    """
    root = Path(os.environ.get("LOTTERY_KERAS_DATA") or REPO.parent / "shared" / "data")
    missing = [d for d in ("mnist", "fashion-mnist") if not (root / d).is_dir()]
    if missing:
        pytest.fail(f"test data not found: {root} has no {' or '.join(missing)}/ folder. "
                    "Set LOTTERY_KERAS_DATA to a folder holding mnist/ and fashion-mnist/ "
                    "with the original IDX .gz files.")
    return root
