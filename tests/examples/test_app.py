"""The example portal's backend, driven through Flask's test client with software card answers."""

from __future__ import annotations

import base64
import time
from dataclasses import replace
from io import BytesIO

import pytest
from bitaqa_portal.app import IDENTITY_FIELDS, create_app
from bitaqa_portal.config import PortalConfig
from bitaqa_portal.samplepdf import sample_pdf
from flask.testing import FlaskClient
from pyhanko.pdf_utils.reader import PdfFileReader

from bitaqa.protocol.signed_request import MemoryReplayCache, verify_signed_request
from bitaqa.testing.pki import IssuedCertificate
from bitaqa.testing.tokens import make_auth_token, sign_hash


@pytest.fixture
def client(portal_config: PortalConfig) -> FlaskClient:
    """A test client of a fresh portal (fresh nonce store and documents)."""
    return create_app(portal_config).test_client()


def _verify(portal_config: PortalConfig, token: str, operation: str) -> dict[str, object]:
    """Verify a signed request as the agent does, with the portal's public key pinned."""
    verified = verify_signed_request(
        token,
        trusted_keys={portal_config.request_key_id: portal_config.request_key.public_key()},
        origin=portal_config.origin,
        operation=operation,
        now=int(time.time()),
        replay_cache=MemoryReplayCache(),
    )
    return {"details": verified.details, "origin": verified.origin}


def test_pages_are_served_in_arabic_right_to_left_and_in_english(client: FlaskClient) -> None:
    """?lang=ar gives an RTL Arabic page, ?lang=en an LTR English one, and the choice sticks."""
    arabic = client.get("/?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic
    assert "تسجيل الدخول بالبطاقة الذكية" in arabic
    assert '<html lang="en" dir="ltr">' in client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_the_language_follows_the_browser_when_not_chosen(portal_config: PortalConfig) -> None:
    """Accept-Language picks English or Arabic; anything else gets Arabic."""
    app = create_app(portal_config)
    english = app.test_client().get("/", headers={"Accept-Language": "fr, en-GB;q=0.8"})
    other = app.test_client().get("/", headers={"Accept-Language": "fr"})
    assert 'lang="en"' in english.get_data(as_text=True)
    assert 'lang="ar"' in other.get_data(as_text=True)


def test_the_js_client_is_served_from_the_npm_package(client: FlaskClient) -> None:
    """/client/index.js is the package's ES module entry point."""
    with client.get("/client/index.js") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert "export * from './errors.js'" in response.get_data(as_text=True)


def test_login_with_a_valid_token_shows_the_card_holder(
    client: FlaskClient, portal_config: PortalConfig, authentication_holder: IssuedCertificate
) -> None:
    """Challenge, token over that nonce, login: the page then names the holder and ID number."""
    challenge = client.post("/api/login/challenge", json={}).get_json()
    signed = _verify(portal_config, challenge["signedRequest"], "authenticate")
    assert signed["details"].challenge_nonce == challenge["challengeNonce"]  # type: ignore[attr-defined]
    token = make_auth_token(
        authentication_holder, portal_config.origin, challenge["challengeNonce"]
    )
    answer = client.post(
        "/api/login", json={"token": token, "challengeId": challenge["challengeId"]}
    )
    assert answer.status_code == 200
    assert answer.get_json() == {"name": "MARIAM AL-KHALIFA", "idNumber": "900101234"}
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "MARIAM AL-KHALIFA" in page
    assert "900101234" in page


def _challenge(client: FlaskClient) -> tuple[str, str]:
    answer = client.post("/api/login/challenge", json={}).get_json()
    return answer["challengeId"], answer["challengeNonce"]


def test_a_token_is_refused_when_replayed_or_made_for_another_origin_or_nonce(
    client: FlaskClient, portal_config: PortalConfig, authentication_holder: IssuedCertificate
) -> None:
    """The nonce is single-use and bound to the session; origin and nonce are checked."""
    challenge_id, nonce = _challenge(client)
    token = make_auth_token(authentication_holder, portal_config.origin, nonce)
    body = {"token": token, "challengeId": challenge_id}
    assert client.post("/api/login", json=body).status_code == 200
    replay = client.post("/api/login", json=body)
    assert (replay.status_code, replay.get_json()) == (401, {"error": "LOGIN_FAILED"})
    challenge_id, nonce = _challenge(client)
    elsewhere = make_auth_token(authentication_holder, "https://evil.example", nonce)
    body = {"token": elsewhere, "challengeId": challenge_id}
    assert client.post("/api/login", json=body).status_code == 401
    challenge_id, _ = _challenge(client)
    other_nonce = make_auth_token(authentication_holder, portal_config.origin, "B" * 44)
    body = {"token": other_nonce, "challengeId": challenge_id}
    assert client.post("/api/login", json=body).status_code == 401


def test_a_development_portal_on_http_localhost_logs_in_for_exactly_that_origin(
    portal_config: PortalConfig, authentication_holder: IssuedCertificate
) -> None:
    """With allowInsecureLocalhost (as ``bitaqa demo`` writes it) the portal runs on
    http://localhost: its signed request names that origin, a token for it logs in, a token for
    the https twin does not, and the session cookie is not marked Secure (http would drop it)."""
    development = replace(
        portal_config, origin="http://localhost:8443", allow_insecure_localhost=True
    )
    client = create_app(development).test_client()
    challenge_id, nonce = _challenge(client)
    twin = make_auth_token(authentication_holder, "https://localhost:8443", nonce)
    answer = client.post("/api/login", json={"token": twin, "challengeId": challenge_id})
    assert answer.status_code == 401
    challenge = client.post("/api/login/challenge", json={}).get_json()
    assert _verify(development, challenge["signedRequest"], "authenticate")["origin"] == (
        "http://localhost:8443"
    )
    token = make_auth_token(authentication_holder, development.origin, challenge["challengeNonce"])
    answer = client.post(
        "/api/login", json={"token": token, "challengeId": challenge["challengeId"]}
    )
    assert answer.status_code == 200
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "SameSite=Strict" in cookie
    assert "Secure" not in cookie


@pytest.mark.parametrize(
    ("origin", "allow_insecure_localhost"),
    [("http://localhost:8443", False), ("http://portal.example", True)],
)
def test_an_http_origin_is_refused_unless_a_flagged_localhost(
    portal_config: PortalConfig, origin: str, allow_insecure_localhost: bool
) -> None:
    """Without allowInsecureLocalhost an http origin is refused at start-up, and with it any
    host but localhost, 127.0.0.1 and [::1] still is."""
    config = replace(
        portal_config, origin=origin, allow_insecure_localhost=allow_insecure_localhost
    )
    with pytest.raises(ValueError, match="origin must be https"):
        create_app(config)


def test_two_tabs_can_log_in_at_once_and_another_session_cannot_use_their_challenges(
    portal_config: PortalConfig, authentication_holder: IssuedCertificate
) -> None:
    """Two challenges of one session both stay valid; another session cannot redeem either."""
    app = create_app(portal_config)
    owner, stranger = app.test_client(), app.test_client()
    bodies = []
    for challenge_id, nonce in (_challenge(owner), _challenge(owner)):
        token = make_auth_token(authentication_holder, portal_config.origin, nonce)
        bodies.append({"token": token, "challengeId": challenge_id})
    assert stranger.post("/api/login", json=bodies[1]).status_code == 401
    assert [owner.post("/api/login", json=body).status_code for body in bodies] == [200, 200]


def test_malformed_login_requests_get_a_clear_error(client: FlaskClient) -> None:
    """No token, a non-JSON token, or no challenge first: 400 or LOGIN_FAILED, never a 500."""
    assert client.post("/api/login", json={}).status_code == 400
    challenge_id, _ = _challenge(client)
    body = {"token": "{not json", "challengeId": challenge_id}
    assert client.post("/api/login", json=body).status_code == 401
    body = {"token": "{}", "challengeId": "never-issued"}
    assert client.post("/api/login", json=body).status_code == 401
    assert client.post("/api/login", data="x", content_type="text/plain").status_code == 400


def test_signing_flow_returns_a_signed_pdf_for_this_session_only(
    client: FlaskClient, portal_config: PortalConfig, signing_holder: IssuedCertificate
) -> None:
    """prepare -> signed request with the digest -> card signature -> finish -> download."""
    certificate = base64.b64encode(signing_holder.der).decode()
    prepared = client.post("/api/sign/prepare", json={"certificate": certificate}).get_json()
    details = _verify(portal_config, prepared["signedRequest"], "sign")["details"]
    digest = details.hash  # type: ignore[attr-defined]
    assert details.text.en == "Sign the document"  # type: ignore[attr-defined]
    signature, algorithm = sign_hash(signing_holder, digest, "SHA-256")
    finished = client.post(
        "/api/sign/finish",
        json={
            "signingId": prepared["signingId"],
            "signature": base64.b64encode(signature).decode(),
            "signatureAlgorithm": algorithm.to_wire(),
        },
    ).get_json()
    download = client.get(finished["downloadUrl"])
    assert download.mimetype == "application/pdf"
    (embedded,) = PdfFileReader(BytesIO(download.data)).embedded_signatures
    assert embedded.signer_cert.dump() == signing_holder.der
    assert client.application.test_client().get(finished["downloadUrl"]).status_code == 404


def test_a_wrong_signature_or_unknown_signing_is_refused(
    client: FlaskClient, signing_holder: IssuedCertificate
) -> None:
    """A signature over another digest is BAD_SIGNATURE; a used or unknown id is UNKNOWN_SIGNING."""
    certificate = base64.b64encode(signing_holder.der).decode()
    prepared = client.post("/api/sign/prepare", json={"certificate": certificate}).get_json()
    signature, algorithm = sign_hash(signing_holder, bytes(32), "SHA-256")
    body = {
        "signingId": prepared["signingId"],
        "signature": base64.b64encode(signature).decode(),
        "signatureAlgorithm": algorithm.to_wire(),
    }
    assert client.post("/api/sign/finish", json=body).get_json() == {"error": "BAD_SIGNATURE"}
    assert client.post("/api/sign/finish", json=body).get_json() == {"error": "UNKNOWN_SIGNING"}


def test_a_bad_certificate_or_document_is_refused(
    client: FlaskClient, signing_holder: IssuedCertificate
) -> None:
    """Garbage in the certificate or the PDF gives BAD_DOCUMENT."""
    certificate = base64.b64encode(signing_holder.der).decode()
    bad = [
        {"certificate": "not base64!"},
        {"certificate": base64.b64encode(b"junk").decode()},
        {"certificate": certificate, "pdf": base64.b64encode(b"%PDF-1.7 junk").decode()},
    ]
    for body in bad:
        answer = client.post("/api/sign/prepare", json=body)
        assert (answer.status_code, answer.get_json()) == (400, {"error": "BAD_DOCUMENT"}), body


def test_identity_request_names_the_form_fields(
    client: FlaskClient, portal_config: PortalConfig
) -> None:
    """The readIdentity signed request asks for exactly the fields the form shows."""
    token = client.post("/api/identity/request", json={}).get_json()["signedRequest"]
    details = _verify(portal_config, token, "readIdentity")["details"]
    assert tuple(details.fields) == IDENTITY_FIELDS  # type: ignore[attr-defined]


def test_damaged_pdfs_and_odd_bodies_get_a_clear_error_never_a_crash(
    client: FlaskClient, signing_holder: IssuedCertificate
) -> None:
    """Truncated PDFs, a list body or wrong types: 400 with a code, never a 500."""
    certificate = base64.b64encode(signing_holder.der).decode()
    pdf = sample_pdf()
    for cut in range(0, len(pdf), max(1, len(pdf) // 12)):
        damaged = base64.b64encode(pdf[:cut]).decode()
        answer = client.post("/api/sign/prepare", json={"certificate": certificate, "pdf": damaged})
        assert answer.status_code == 400, cut
    for body in ([1, 2], {"certificate": 5}, {"certificate": certificate, "pdf": 7}, "text"):
        assert client.post("/api/sign/prepare", json=body).status_code == 400, body
    assert client.post("/api/sign/finish", json=[]).status_code == 400
    assert client.post("/api/login", json=["token"]).status_code == 400
