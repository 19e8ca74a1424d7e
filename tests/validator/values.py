"""Values shared by the validator tests (imported as ``validator.values``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bitaqa.testing.pki import HolderIdentity
from bitaqa.validator import AuthTokenValidator

__all__ = ["AMINA", "NONCE", "NOW", "ORIGIN", "OTHER_NONCE", "ValidatorFactory"]

ORIGIN = "https://portal.example.bh"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NONCE = "bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm8="
OTHER_NONCE = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3Q="

AMINA = HolderIdentity(
    given_name="Amina",
    surname="Khalifa",
    given_name_ar="أمينة",
    surname_ar="خليفة",
    national_id="900101234",
    country="BH",
)

ValidatorFactory = Callable[..., AuthTokenValidator]
