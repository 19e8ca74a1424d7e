"""Certificate path validation to configured trust anchors, done by pyhanko-certvalidator.

Why pyhanko-certvalidator: it is a maintained RFC 5280 implementation (path building over several
candidate issuers, name and policy processing, basic constraints, path length, key usage of CA
certificates) that takes the validation time as a parameter, which is exactly what a validator
with an injectable clock needs; hand-written chain logic is where validators go wrong.  It is
used for the path only: fetching is disabled and revocation is left to
:mod:`bitaqa.validator.revocation`, which implements the Web eID OCSP rules (request nonce,
designated responder, thisUpdate skew and maximum age) that pyhanko's revocation checker
does not have.

Trust anchors are usually the issuing (intermediate) CA certificates, as in Web eID, so a portal
trusts exactly the CAs that issue ID cards and not everything below a national root.  Each anchor's
own validity period and path length constraint are enforced too (``derive_quals_from_cert``).

pyhanko-certvalidator's API is asynchronous only.  With fetching disabled it never waits for I/O,
so :func:`_complete` drives the coroutine to completion in place: the validator stays synchronous
and also works when called from inside a running event loop.
"""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.authority import CertTrustAnchor, derive_quals_from_cert
from pyhanko_certvalidator.errors import ExpiredError, NotYetValidError, PathError
from pyhanko_certvalidator.errors import ValidationError as PkixValidationError
from pyhanko_certvalidator.registry import CertificateRegistry, SimpleTrustManager

from bitaqa.validator.errors import (
    CertificateDecodeError,
    CertificateExpired,
    CertificateNotTrusted,
    CertificateNotYetValid,
)

__all__ = ["TrustStore"]

_Result = TypeVar("_Result")


class TrustStore:
    """The CA certificates a portal trusts for holder certificates, and path validation to them.

    ``trust_anchors`` end every path (usually the ID card issuing CAs); ``intermediates`` are extra
    untrusted certificates that may be needed to build a path to an anchor.
    """

    def __init__(
        self,
        trust_anchors: Sequence[x509.Certificate],
        intermediates: Sequence[x509.Certificate] = (),
    ) -> None:
        if not trust_anchors:
            raise ValueError("at least one trust anchor is required")
        self._anchors = tuple(trust_anchors)
        # Built once: indexing names of the anchors and intermediates is most of the cost of a
        # validation.  Neither is changed by validating (fetching is off), so sharing is safe.
        self._trust_manager = SimpleTrustManager.build(
            trust_roots=[_trust_anchor(anchor) for anchor in self._anchors]
        )
        self._registry = CertificateRegistry.build([_to_asn1(cert) for cert in intermediates])

    @property
    def anchors(self) -> tuple[x509.Certificate, ...]:
        """The configured trust anchors."""
        return self._anchors

    def issuer_of(self, certificate: x509.Certificate, moment: datetime) -> x509.Certificate:
        """Validate the path from ``certificate`` to an anchor at ``moment``; return its issuer.

        Raises :class:`CertificateExpired` / :class:`CertificateNotYetValid` when the holder's or
        a CA certificate on the only usable path is outside its validity period at ``moment``,
        :class:`CertificateDecodeError` for a field that does not parse, and
        :class:`CertificateNotTrusted` for every other path failure (no path to an anchor, a bad
        signature, a constraint violated) and for any other exception path validation raises.
        """
        context = ValidationContext(
            trust_manager=self._trust_manager,
            certificate_registry=self._registry,
            moment=moment,
            allow_fetching=False,
            revocation_mode="soft-fail",
        )
        validator = CertificateValidator(_to_asn1(certificate), validation_context=context)
        try:
            path = _complete(validator.async_validate_path())
        except ExpiredError:
            raise CertificateExpired("certificate or issuing CA expired") from None
        except NotYetValidError:
            raise CertificateNotYetValid("certificate or issuing CA not yet valid") from None
        except (PathError, PkixValidationError):
            raise CertificateNotTrusted("no valid path to a trusted CA") from None
        except (ValueError, TypeError):
            # asn1crypto parses lazily: a field cryptography skipped can still be malformed.
            raise CertificateDecodeError("certificate has a malformed field") from None
        except _PathValidationWaitedError:
            raise
        except Exception as error:  # noqa: BLE001 (every failure of untrusted input is a refusal)
            # The certificate is attacker-controlled and pyhanko-certvalidator is not hardened
            # against every shape of it: an ed25519/ed448 signature algorithm on an EC key fails
            # an assert, other oddities surface as AttributeError, KeyError, cryptography's
            # UnsupportedAlgorithm, ...  None of them may escape as anything but a refusal.
            raise CertificateNotTrusted(
                f"path validation failed ({type(error).__name__})"
            ) from None
        issuer = path.find_issuing_authority(path.leaf)
        return _from_asn1(issuer.certificate)


def _trust_anchor(certificate: x509.Certificate) -> CertTrustAnchor:
    anchor = _to_asn1(certificate)
    qualifiers = derive_quals_from_cert(anchor)
    # pyhanko-certvalidator 0.33 starts the attribute-authority path length from the anchor's
    # max_aa_path_length whenever max_path_length is set, and then fails on None for any path
    # with an intermediate; give it the same bound (we validate no attribute certificates).
    qualifiers = replace(qualifiers, max_aa_path_length=qualifiers.max_path_length)
    return CertTrustAnchor(anchor, quals=qualifiers)


def _to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


def _from_asn1(certificate: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate.dump())


class _PathValidationWaitedError(RuntimeError):
    """Path validation tried to wait for I/O although fetching is disabled: a bug, not an input."""


def _complete(coroutine: Coroutine[Any, Any, _Result]) -> _Result:
    # Fetching is disabled, so the coroutine finishes on its first step; anything else is a bug.
    try:
        coroutine.send(None)
    except StopIteration as finished:
        result: _Result = finished.value
        return result
    coroutine.close()
    raise _PathValidationWaitedError("path validation unexpectedly waited for I/O")
