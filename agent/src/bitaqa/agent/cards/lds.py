"""The LDS Security Object structure (ICAO Doc 9303 part 10), as PIV and ID cards carry it.

``LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm, dataGroupHashValues }`` — the content
the issuer signs (inside CMS SignedData) to vouch for the card's data groups.  The PIV driver
checks it; the virtual card builds it; both use this one definition.
"""

from __future__ import annotations

from asn1crypto import algos, core

__all__ = ["DataGroupHash", "DataGroupHashes", "LdsSecurityObject"]


class DataGroupHash(core.Sequence):  # type: ignore[misc]  # asn1crypto is untyped
    """One data group's number and the hash of its content."""

    _fields = [  # noqa: RUF012 - asn1crypto declares structures as class attributes
        ("data_group_number", core.Integer),
        ("data_group_hash_value", core.OctetString),
    ]


class DataGroupHashes(core.SequenceOf):  # type: ignore[misc]
    """The hashes of every covered data group."""

    _child_spec = DataGroupHash


class LdsSecurityObject(core.Sequence):  # type: ignore[misc]
    """The signed content: version 0, the digest algorithm, the data group hashes."""

    _fields = [  # noqa: RUF012
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashes),
    ]
