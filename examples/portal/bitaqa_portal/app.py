"""The portal's routes: what a backend does for login, signing and identity data.

Login (SPEC.md §6.4, Web eID style):
  1. ``POST /api/login/challenge`` issues a single-use nonce bound to the session (and to a
     challenge id, so two tabs can log in at once), plus a signed request for ``authenticate``
     (this portal's trust-list entry requires one).
  2. The page calls ``authenticate(nonce)`` and posts the token to ``POST /api/login``, which
     validates it with :class:`~bitaqa.validator.AuthTokenValidator` against the nonce taken out
     of the store — never a nonce from the request.

Signing a PDF:
  1. The page gets the card's signing certificate and posts it with the PDF to
     ``POST /api/sign/prepare``; the backend reserves a PAdES signature (:mod:`.pdfsign`) and
     returns a signed request naming the digest, the certificate and the text the user will see.
  2. The page calls ``sign(signedRequest)`` and posts the result to ``POST /api/sign/finish``; the
     backend checks it with :func:`~bitaqa.validator.verify_signature_result`, embeds it and
     offers the signed PDF at ``GET /api/sign/<id>.pdf``.

Identity data: ``POST /api/identity/request`` returns a signed request naming the fields; the
page calls ``readIdentity``, fills its form, shows the photo and the issuer-signature verdict.

State between two requests (nonces, prepared signatures, signed PDFs) lives in this process:
enough for an example, a real portal keeps it in a shared store.  Every ``/api`` call is a JSON
POST, which a cross-site form cannot send, and the session cookie is ``SameSite=Strict``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections import OrderedDict
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from flask import (
    Flask,
    Response,
    abort,
    jsonify,
    render_template,
    request,
    send_from_directory,
    session,
)
from flask.typing import ResponseReturnValue
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.general import SigningError

from bitaqa.protocol.methods import IDENTITY_FIELDS as ALL_IDENTITY_FIELDS
from bitaqa.validator import (
    AuthTokenValidator,
    MemoryNonceStore,
    SignedRequestIssuer,
    ValidationError,
    verify_signature_result,
)
from bitaqa_portal.config import PortalConfig
from bitaqa_portal.i18n import ERRORS, TEXT, choose_language
from bitaqa_portal.pdfsign import HASH_ALGORITHM, finish_signature, prepare_signature
from bitaqa_portal.samplepdf import sample_pdf

__all__ = ["IDENTITY_FIELDS", "create_app"]

#: The identity fields this portal's form asks the card for: every field of SPEC.md §6.7, so that
#: both a Gulf ID card and a PIV card fill what they hold (the result leaves out the rest). A
#: portal that needs less names only the fields it uses.
IDENTITY_FIELDS = ALL_IDENTITY_FIELDS
#: Where the JS client is served from: the npm package's ES modules, used as they are.
CLIENT_DIRECTORY = Path(__file__).resolve().parents[3] / "protocol" / "js" / "src"
_MAX_PDF_BYTES = 5 * 1024 * 1024
_KEPT_DOCUMENTS = 100


class _Bounded(OrderedDict[str, Any]):
    """A dict that forgets its oldest entries beyond a fixed size."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > self.size:
            self.popitem(last=False)


def create_app(config: PortalConfig) -> Flask:
    """Build the Flask app for ``config``."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.origin.startswith("https:"),
        MAX_CONTENT_LENGTH=2 * _MAX_PDF_BYTES,
    )
    portal = _Portal(config)
    app.add_url_rule("/", view_func=portal.index)
    app.add_url_rule("/client/<path:name>", view_func=portal.client)
    app.add_url_rule("/api/login/challenge", view_func=portal.login_challenge, methods=["POST"])
    app.add_url_rule("/api/login", view_func=portal.login, methods=["POST"])
    app.add_url_rule("/api/logout", view_func=portal.logout, methods=["POST"])
    app.add_url_rule("/api/sign/prepare", view_func=portal.sign_prepare, methods=["POST"])
    app.add_url_rule("/api/sign/finish", view_func=portal.sign_finish, methods=["POST"])
    app.add_url_rule("/api/sign/<document_id>.pdf", view_func=portal.sign_download)
    app.add_url_rule("/api/identity/request", view_func=portal.identity_request, methods=["POST"])
    return app


class _Portal:
    """The views, sharing the validator, the signed-request issuer and the in-process state."""

    def __init__(self, config: PortalConfig) -> None:
        self.config = config
        self.nonces = MemoryNonceStore()
        self.issuer = SignedRequestIssuer(config.request_key, config.request_key_id, config.origin)
        self.validator = AuthTokenValidator(
            site_origin=config.origin,
            trust_anchors=config.trust_anchors,
            allow_insecure_localhost=config.allow_insecure_localhost,
        )
        self.pending = _Bounded(_KEPT_DOCUMENTS)  # signing id -> (session, certificate, prepared)
        self.signed = _Bounded(_KEPT_DOCUMENTS)  # document id -> (session, signed PDF)

    def index(self) -> str:
        lang = choose_language(
            request.args.get("lang") or session.get("lang"),
            request.headers.get("Accept-Language", ""),
        )
        session["lang"] = lang
        _session_id()  # now, so that tabs opened from here share it before they call the API
        return render_template(
            "index.html",
            lang=lang,
            text=TEXT[lang],
            messages=ERRORS[lang],
            user=session.get("user"),
            download_url=self.config.agent_download_url,
            agent_ports=",".join(map(str, self.config.agent_ports)),
        )

    def client(self, name: str) -> Response:
        return send_from_directory(CLIENT_DIRECTORY, name, mimetype="text/javascript")

    def login_challenge(self) -> Response:
        # One nonce per tab: the store's key is the session plus this challenge's id.
        challenge_id = secrets.token_urlsafe(12)
        nonce = self.nonces.issue(f"{_session_id()}:{challenge_id}")
        return jsonify(
            challengeId=challenge_id,
            challengeNonce=nonce,
            signedRequest=self.issuer.authenticate(nonce),
        )

    def login(self) -> ResponseReturnValue:
        token = _json_string("token")
        challenge_id = _json_string("challengeId")[:32]
        try:
            challenge_nonce = self.nonces.get_and_remove(f"{_session_id()}:{challenge_id}")
            holder = self.validator.validate(self.validator.parse(token), challenge_nonce)
        except ValidationError:
            return _refuse("LOGIN_FAILED", 401)
        name = " ".join(part for part in (holder.given_name, holder.surname) if part)
        session["user"] = {
            "name": name or holder.common_name or "",
            "idNumber": holder.national_id or "",
        }
        return jsonify(session["user"])

    def logout(self) -> Response:
        session.pop("user", None)
        return jsonify(ok=True)

    def sign_prepare(self) -> ResponseReturnValue:
        try:
            certificate_der = base64.b64decode(_json_string("certificate"), validate=True)
            certificate = x509.load_der_x509_certificate(certificate_der)
            chain = [ca.public_bytes(Encoding.DER) for ca in self.config.chain]
            prepared = prepare_signature(
                _pdf_from_request(), certificate_der, chain, reason=TEXT["en"]["sign_text"]
            )
        except (binascii.Error, ValueError, PdfError, SigningError):
            return _refuse("BAD_DOCUMENT")
        signing_id = secrets.token_urlsafe(16)
        self.pending[signing_id] = (_session_id(), certificate, prepared)
        signed_request = self.issuer.sign(
            hash_bytes=prepared.digest,
            hash_algorithm=HASH_ALGORITHM,
            signing_certificate=certificate,
            text_ar=TEXT["ar"]["sign_text"],
            text_en=TEXT["en"]["sign_text"],
            document_name=_document_name(),
        )
        return jsonify(signingId=signing_id, signedRequest=signed_request)

    def sign_finish(self) -> ResponseReturnValue:
        entry = self.pending.pop(_json_string("signingId"), None)
        if entry is None or entry[0] != _session_id():
            return _refuse("UNKNOWN_SIGNING")
        _, certificate, prepared = entry
        algorithm = _body().get("signatureAlgorithm") or {}
        try:
            signature = base64.b64decode(_json_string("signature"), validate=True)
            verify_signature_result(
                certificate, prepared.digest, HASH_ALGORITHM, signature, algorithm
            )
        except (binascii.Error, ValidationError):
            return _refuse("BAD_SIGNATURE")
        document_id = secrets.token_urlsafe(16)
        signed_pdf = finish_signature(prepared, _cms_signature_value(signature, algorithm))
        self.signed[document_id] = (_session_id(), signed_pdf)
        return jsonify(downloadUrl=f"/api/sign/{document_id}.pdf")

    def sign_download(self, document_id: str) -> Response:
        entry = self.signed.get(document_id)
        if entry is None or entry[0] != _session_id():
            abort(404)
        return Response(
            entry[1],
            mimetype="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="signed.pdf"'},
        )

    def identity_request(self) -> Response:
        return jsonify(signedRequest=self.issuer.read_identity(IDENTITY_FIELDS))


def _session_id() -> str:
    """A random id for this browser session, the key of its nonce and its documents."""
    if "id" not in session:
        session["id"] = secrets.token_urlsafe(24)
    return str(session["id"])


def _refuse(code: str, status: int = 400) -> ResponseReturnValue:
    return jsonify(error=code), status


def _body() -> dict[str, Any]:
    """The request's JSON object, or an empty one for anything else."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _json_string(name: str) -> str:
    value = _body().get(name)
    if not isinstance(value, str) or not value:
        abort(400)
    return value


def _pdf_from_request() -> bytes:
    document = _body().get("pdf")
    if document is None:
        return sample_pdf()
    if not isinstance(document, str) or len(document) > _MAX_PDF_BYTES * 4 // 3 + 4:
        raise ValueError("document too large")
    return base64.b64decode(document, validate=True)


def _document_name() -> str:
    name = _body().get("documentName")
    return name[:100] if isinstance(name, str) and name else "application.pdf"


def _cms_signature_value(signature: bytes, algorithm: Any) -> bytes:
    """CMS wants ECDSA signatures DER-encoded; the card returns raw ``r||s`` (SPEC.md §6.6)."""
    if isinstance(algorithm, dict) and algorithm.get("cryptoAlgorithm") == "ECC":
        half = len(signature) // 2
        r, s = int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
        return encode_dss_signature(r, s)
    return signature
