"""Invariants 3-8 with the real stack: agent process, private pcscd, virtual PIV card."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from bitaqa.protocol.authtoken import (
    ALGORITHMS,
    AuthTokenRejectedError,
    ecdsa_raw_to_der,
    parse_auth_token,
    verify_auth_token_signature,
)
from support.agent import STRICT_ORIGIN, TRUSTED_ORIGIN, nonce

pytestmark = pytest.mark.pcscd
PIN = "123456"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_claims(certificate: bytes, digest: bytes, algorithm: str = "SHA-256") -> dict:
    return {
        "hash": base64.b64encode(digest).decode("ascii"),
        "hashAlgorithm": algorithm,
        "certificateSha256": b64url(hashlib.sha256(certificate).digest()),
        "text": {"ar": "توقيع الطلب", "en": "Sign the application"},
    }


@pytest.fixture
def card_agent(start_agent, pcsc_environment, virtual_card):
    """An agent on the private pcscd with the ECC virtual card, consent remembered as allowed."""
    agent = start_agent(pcsc=pcsc_environment)
    agent.script(consent="allow-always", pins=[PIN])
    agent.wait_for_card()
    return agent


async def signing_certificate(page) -> bytes:
    answer = await page.call("getSigningCertificate")
    return base64.b64decode(answer["result"]["certificate"])


def test_authentication_signs_only_handshake_origin_and_nonce(card_agent):
    """Invariants 3, 4: no method or param makes the auth key sign a page-chosen hash."""
    chosen = hashlib.sha256(b"page-chosen data").digest()
    chosen_b64 = base64.b64encode(chosen).decode("ascii")
    hash_like = {"hash": chosen_b64, "digest": chosen_b64, "challengeNonce": chosen_b64}

    async def scenario() -> None:
        async with card_agent.connect() as page:
            for method in (
                "status",
                "listReaders",
                "getCertificates",
                "getSigningCertificate",
                "sign",
                "readIdentity",
            ):
                answer = await page.call(method, hash_like)
                assert "result" not in answer, (method, answer)
                refusals = {"INVALID_PARAMS", "SIGNED_REQUEST_REQUIRED"}
                assert answer["error"]["data"]["reason"] in refusals, (method, answer)
            answer = await page.call("authenticate", {"challengeNonce": chosen_b64})
            token_text = json.dumps(answer["result"])
        token = parse_auth_token(token_text)
        verify_auth_token_signature(token, TRUSTED_ORIGIN, chosen_b64)
        with pytest.raises(AuthTokenRejectedError):
            verify_auth_token_signature(token, "https://evil.example", chosen_b64)
        public_key = token.certificate.public_key()
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        jwa = ALGORITHMS[token.algorithm]
        with pytest.raises(InvalidSignature):
            public_key.verify(
                ecdsa_raw_to_der(token.signature),
                chosen,
                ec.ECDSA(utils.Prehashed(hashes.SHA256())),
            )
        with pytest.raises(InvalidSignature):
            public_key.verify(
                ecdsa_raw_to_der(token.signature), chosen, ec.ECDSA(jwa.hash_algorithm())
            )

    asyncio.run(scenario())


def test_sign_uses_the_signing_key_never_the_authentication_key(card_agent, trust_authority):
    """Invariant 4: a signed 'sign' request is signed by the signing key, verifiably."""

    async def scenario() -> None:
        async with card_agent.connect() as page:
            certificate = await signing_certificate(page)
            certificates = (await page.call("getCertificates"))["result"]["certificates"]
            digest = hashlib.sha256(b"document").digest()
            request = trust_authority.signed_request("sign", **sign_claims(certificate, digest))
            answer = await page.call("sign", {"signedRequest": request})
        signature = base64.b64decode(answer["result"]["signature"])
        signing_key = x509.load_der_x509_certificate(certificate).public_key()
        signing_key.verify(
            ecdsa_raw_to_der(signature), digest, ec.ECDSA(utils.Prehashed(hashes.SHA256()))
        )
        authentication = next(c for c in certificates if c["purpose"] == "authentication")
        auth_key = x509.load_der_x509_certificate(
            base64.b64decode(authentication["certificate"])
        ).public_key()
        with pytest.raises(InvalidSignature):
            auth_key.verify(
                ecdsa_raw_to_der(signature), digest, ec.ECDSA(utils.Prehashed(hashes.SHA256()))
            )
        prompt = [p for p in card_agent.prompts() if p["kind"] == "pin"][-1]
        assert prompt["text"] == "Sign the application"
        assert prompt["origin"] == TRUSTED_ORIGIN

    asyncio.run(scenario())


BAD_SIGN_REQUESTS = [
    # case, wire reason, the failed check the agent logs (None: not a signed-request refusal)
    ("replayed", "REQUEST_REPLAYED", "replay"),
    ("expired", "REQUEST_EXPIRED", "time"),
    ("too-long-lived", "REQUEST_EXPIRED", "time"),
    ("wrong-key", "REQUEST_SIGNATURE_INVALID", "signature"),
    ("other-origin", "REQUEST_SIGNATURE_INVALID", "origin"),
    ("other-operation", "REQUEST_SIGNATURE_INVALID", "operation"),
    ("hash-length", "REQUEST_SIGNATURE_INVALID", "claims"),
    ("other-certificate", "CERTIFICATE_MISMATCH", None),
]


def test_sign_refuses_bad_signed_requests_before_any_pin_dialog(card_agent, trust_authority):
    """Invariant 5: replayed, expired, wrongly signed, misdirected or inconsistent requests fail."""

    def bad_request(case: str, certificate: bytes) -> str:
        claims = sign_claims(certificate, hashlib.sha256(case.encode()).digest())
        make = trust_authority.signed_request
        builders = {
            "expired": lambda: make("sign", issued_at=int(time.time()) - 400, **claims),
            "too-long-lived": lambda: make("sign", lifetime=3600, **claims),
            "wrong-key": lambda: make(
                "sign", key=ec.generate_private_key(ec.SECP256R1()), **claims
            ),
            "other-origin": lambda: make("sign", "https://portal2.example", **claims),
            "other-operation": lambda: make("readIdentity", fields=["nameEn"]),
            "hash-length": lambda: make(
                "sign", **{**claims, "hash": base64.b64encode(os.urandom(20)).decode()}
            ),
            "other-certificate": lambda: make(
                "sign", **{**claims, "certificateSha256": b64url(os.urandom(32))}
            ),
        }
        return builders[case]()

    async def scenario() -> None:
        async with card_agent.connect() as page:
            certificate = await signing_certificate(page)
            replayed = trust_authority.signed_request(
                "sign", **sign_claims(certificate, os.urandom(32))
            )
            assert "result" in await page.call("sign", {"signedRequest": replayed})
            for case, reason, check in BAD_SIGN_REQUESTS:
                request = replayed if case == "replayed" else bad_request(case, certificate)
                pins_before = len([p for p in card_agent.prompts() if p["kind"] == "pin"])
                answer = await page.call("sign", {"signedRequest": request})
                assert answer["error"]["data"]["reason"] == reason, (case, answer)
                assert len([p for p in card_agent.prompts() if p["kind"] == "pin"]) == pins_before
                refusal = [
                    e for e in card_agent.log_events() if e["event"] == "signed-request-refused"
                ]
                if check is not None:
                    assert refusal[-1]["check"] == check, case

    asyncio.run(scenario())


def test_strict_origin_needs_a_signed_request_to_authenticate(card_agent, trust_authority):
    """Invariant 5: where the trust list says so, authenticate needs a matching signed request."""
    challenge = nonce()

    async def scenario() -> None:
        async with card_agent.connect(STRICT_ORIGIN) as page:
            answer = await page.call("authenticate", {"challengeNonce": challenge})
            assert answer["error"]["data"]["reason"] == "SIGNED_REQUEST_REQUIRED"
            other = trust_authority.signed_request(
                "authenticate", STRICT_ORIGIN, challengeNonce=nonce()
            )
            answer = await page.call(
                "authenticate", {"challengeNonce": challenge, "signedRequest": other}
            )
            assert answer["error"]["data"]["reason"] == "REQUEST_SIGNATURE_INVALID"
            good = trust_authority.signed_request(
                "authenticate", STRICT_ORIGIN, challengeNonce=challenge
            )
            answer = await page.call(
                "authenticate", {"challengeNonce": challenge, "signedRequest": good}
            )
            verify_auth_token_signature(
                parse_auth_token(json.dumps(answer["result"])), STRICT_ORIGIN, challenge
            )

    asyncio.run(scenario())


def test_pin_never_appears_in_logs_or_frames(card_agent, trust_authority):
    """Invariant 6: at debug level, after authenticate, sign and a wrong PIN, the PIN is nowhere."""
    card_agent.script(consent="allow-always", pins=["654321", PIN, PIN, PIN])
    frames: list[str] = []

    async def scenario() -> None:
        async with card_agent.connect() as page:
            answer = await page.call("authenticate", {"challengeNonce": nonce()})
            assert "result" in answer
            certificate = await signing_certificate(page)
            request = trust_authority.signed_request(
                "sign", **sign_claims(certificate, os.urandom(32))
            )
            assert "result" in await page.call("sign", {"signedRequest": request})
            sr = trust_authority.signed_request("readIdentity", fields=["nameEn", "idNumber"])
            assert "result" in await page.call("readIdentity", {"signedRequest": sr})
            frames.extend(json.dumps(n) for n in page.notifications)
            frames.append(json.dumps(answer))

    asyncio.run(scenario())
    pins = [p for p in card_agent.prompts() if p["kind"] == "pin"]
    assert pins[1]["retry"] is True  # the wrong PIN was tried
    assert pins[1]["triesLeft"] == 2
    log = card_agent.log_text()
    assert "apdu" in log  # debug logging really was on
    for pin in (PIN, "654321"):
        spelled = pin.encode().hex()
        for needle in (
            pin,
            spelled,
            " ".join(spelled[i : i + 2] for i in range(0, len(spelled), 2)),
        ):
            assert needle not in log
            assert not any(needle in frame for frame in frames)
    for path in card_agent.config_dir.rglob("*"):
        if path.is_file():
            assert PIN.encode() not in path.read_bytes(), path


def test_consent_is_asked_once_remembered_and_denial_is_remembered(
    start_agent, pcsc_environment, virtual_card
):
    """Invariant 7: first use asks; allow-always and deny are remembered per origin, across a
    restart of the agent (allow once is not)."""
    agent = start_agent(pcsc=pcsc_environment)
    agent.wait_for_card()

    async def scenario() -> None:
        async with agent.connect() as page:
            agent.script(consent="allow-always")
            assert "result" in await page.call("getSigningCertificate")
            assert "result" in await page.call("getSigningCertificate")
        async with agent.connect("https://portal2.example") as page:
            agent.script(consent="deny")
            answer = await page.call("getSigningCertificate")
            assert answer["error"]["data"]["reason"] == "USER_DENIED"
            agent.script(consent="allow-always")
            answer = await page.call("getSigningCertificate")
            assert answer["error"]["data"]["reason"] == "USER_DENIED"
        async with agent.connect("https://portal3.example") as page:
            agent.script(consent="allow-once")
            assert "result" in await page.call("getSigningCertificate")
            assert "result" in await page.call("getSigningCertificate")

    asyncio.run(scenario())
    consents = [(p["origin"], p["operation"]) for p in agent.prompts() if p["kind"] == "consent"]
    assert consents == [
        (TRUSTED_ORIGIN, "getSigningCertificate"),
        ("https://portal2.example", "getSigningCertificate"),
        ("https://portal3.example", "getSigningCertificate"),
        ("https://portal3.example", "getSigningCertificate"),
    ]
    stored = json.loads((agent.config_dir / "consent.json").read_text())["decisions"]
    assert stored == {TRUSTED_ORIGIN: "allow", "https://portal2.example": "deny"}

    agent.restart()
    agent.wait_for_card()
    agent.script(consent="allow-always")

    async def after_restart() -> None:
        async with agent.connect() as page:
            assert (await page.call("status"))["result"]["policy"]["consentStore"] == "ok"
            assert "result" in await page.call("getSigningCertificate")
        async with agent.connect("https://portal2.example") as page:
            answer = await page.call("getSigningCertificate")
            assert answer["error"]["data"]["reason"] == "USER_DENIED"
        async with agent.connect("https://portal3.example") as page:
            assert "result" in await page.call("getSigningCertificate")

    asyncio.run(after_restart())
    consents = [p["origin"] for p in agent.prompts() if p["kind"] == "consent"]
    assert consents[4:] == ["https://portal3.example"]  # only the allow-once origin is asked


def test_prompt_spamming_is_rate_limited_with_backoff(start_agent, pcsc_environment, virtual_card):
    """Invariant 8: re-opening a cancelled dialog in a loop shows one dialog, then RATE_LIMITED."""
    agent = start_agent(pcsc=pcsc_environment)
    agent.wait_for_card()
    agent.script(consent="cancel")

    async def scenario() -> list[str]:
        async with agent.connect() as page:
            return [
                (await page.call("authenticate", {"challengeNonce": nonce()}))["error"]["data"][
                    "reason"
                ]
                for _ in range(20)
            ]

    reasons = asyncio.run(scenario())
    assert reasons[0] == "USER_CANCELLED"
    assert set(reasons[1:]) == {"RATE_LIMITED"}
    assert len([p for p in agent.prompts() if p["kind"] == "consent"]) == 1

    async def other_origin() -> str:
        async with agent.connect("https://portal2.example") as page:
            return (await page.call("authenticate", {"challengeNonce": nonce()}))["error"]["data"][
                "reason"
            ]

    assert asyncio.run(other_origin()) == "USER_CANCELLED"  # limits are per origin
