"""Coverage-guided fuzzing of the security parsers: signed requests, trust lists, auth tokens.

Usage: ``.venv/bin/python fuzz/fuzz_security.py --seconds 600 [--workdir DIR]``

Built on atheris (libFuzzer).  The corpus starts from every token in the shared vectors
(``protocol/vectors/{signed-requests,trust-lists,auth-tokens}.json``) so mutations start next to
valid inputs.  The first input byte picks the target; the rest is the text to parse.  Two kinds
of finding stop the run with a traceback and a ``crash-*`` file in the work directory:

* any exception other than the target's ``ProtocolError`` subclass (a parser that crashes);
* an input that verifies but is not one of the vectors' valid tokens (a forgery was accepted).

libFuzzer prints the number of inputs tried (``Done N runs in S second(s)``) at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris
import jwt

with atheris.instrument_imports():
    from bitaqa.protocol.authtoken import (
        parse_auth_token,
        signed_message,
        verify_auth_token_signature,
    )
    from bitaqa.protocol.errors import AuthTokenError, SignedRequestError, TrustListError
    from bitaqa.protocol.signed_request import MemoryReplayCache, verify_signed_request
    from bitaqa.protocol.trustlist import parse_local_policy, parse_trust_list

VECTORS = Path(__file__).resolve().parents[1] / "protocol" / "vectors"
REQUESTS = json.loads((VECTORS / "signed-requests.json").read_text())
LISTS = json.loads((VECTORS / "trust-lists.json").read_text())
TOKENS = json.loads((VECTORS / "auth-tokens.json").read_text())

REQUEST_KEYS = {kid: jwt.PyJWK(entry["publicJwk"]).key for kid, entry in REQUESTS["keys"].items()}
AUTHORITY_KEYS = {
    kid: jwt.PyJWK(entry["publicJwk"]).key for kid, entry in LISTS["authorityKeys"].items()
}
NOW = 1_800_000_000
ORIGIN = "https://portal.example"
OPERATIONS = ("authenticate", "sign", "readIdentity", "getSigningCertificate")

# What the harness's fixed context accepts among the vector inputs; filled in by seed_corpus.
# Anything else that verifies during the run is a forgery.
VALID_REQUESTS: set[str] = set()
VALID_LISTS: set[str] = set()
VALID_SIGNATURES: set[tuple[str, str, str]] = set()
TOKEN_CONTEXTS = sorted({(v["origin"], v["challengeNonce"]) for v in TOKENS["vectors"]})


class ForgeryAcceptedError(AssertionError):
    """An input that is not a known valid token passed verification."""


def fuzz_signed_request(selector: int, text: str) -> None:
    try:
        verify_signed_request(
            text,
            trusted_keys=REQUEST_KEYS,
            origin=ORIGIN,
            operation=OPERATIONS[selector % len(OPERATIONS)],
            now=NOW,
            replay_cache=MemoryReplayCache(),
        )
    except SignedRequestError:
        return
    if text not in VALID_REQUESTS:
        raise ForgeryAcceptedError(text)


def fuzz_trust_list(_selector: int, text: str) -> None:
    try:
        parse_trust_list(text, authority_keys=AUTHORITY_KEYS, now=NOW)
    except TrustListError:
        return
    if text not in VALID_LISTS:
        raise ForgeryAcceptedError(text)


def fuzz_local_policy(_selector: int, text: str) -> None:
    try:
        parse_local_policy(text)
    except TrustListError:
        return


def fuzz_auth_token(selector: int, text: str) -> None:
    origin, nonce = TOKEN_CONTEXTS[selector % len(TOKEN_CONTEXTS)]
    try:
        token = parse_auth_token(text)
        verify_auth_token_signature(token, origin, nonce)
    except AuthTokenError:
        return
    signature = json.loads(text)["signature"]
    if (origin, nonce, signature) not in VALID_SIGNATURES:
        raise ForgeryAcceptedError(text)


def fuzz_signed_message(selector: int, text: str) -> None:
    origin, _, nonce = text.partition(" ")
    try:
        signed_message(origin, nonce, ("ES256", "PS384", "RS512", "EdDSA")[selector % 4])
    except AuthTokenError:
        return


TARGETS = (
    fuzz_signed_request,
    fuzz_trust_list,
    fuzz_local_policy,
    fuzz_auth_token,
    fuzz_signed_message,
)


def test_one_input(data: bytes) -> None:
    """libFuzzer entry point: byte 0 picks the target, byte 1 its context, the rest is text."""
    if len(data) < 2:
        return
    text = data[2:].decode("utf-8", errors="surrogateescape")
    TARGETS[data[0] % len(TARGETS)](data[1], text)


def seed_corpus(directory: Path) -> int:
    """Write every vector input, prefixed by its target and context bytes, as a seed file."""
    seeds = [(0, OPERATIONS.index(v["operation"]), v["token"]) for v in REQUESTS["vectors"]]
    seeds += [(1, 0, v["token"]) for v in LISTS["vectors"]]
    seeds += [(2, 0, v["policy"]) for v in LISTS["localPolicies"]]
    seeds += [
        (3, TOKEN_CONTEXTS.index((v["origin"], v["challengeNonce"])), v["token"])
        for v in TOKENS["vectors"]
    ]
    seeds += [(4, 0, f"{ORIGIN} {v['challengeNonce']}") for v in TOKENS["vectors"]]
    for target, context, text in seeds:
        if target == 0 and _accepted(fuzz_signed_request, context, text):
            VALID_REQUESTS.add(text)
        if target == 1 and _accepted(fuzz_trust_list, context, text):
            VALID_LISTS.add(text)
        if target == 3 and _accepted(fuzz_auth_token, context, text):
            origin, nonce = TOKEN_CONTEXTS[context]
            VALID_SIGNATURES.add((origin, nonce, json.loads(text)["signature"]))
    for number, (target, context, text) in enumerate(seeds):
        data = bytes([target, context]) + text.encode("utf-8", "surrogateescape")
        (directory / f"seed-{number:04d}").write_bytes(data)
    return len(seeds)


def _accepted(target: Callable[[int, str], None], context: int, text: str) -> bool:
    try:
        target(context, text)
    except ForgeryAcceptedError:
        return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to fuzz")
    parser.add_argument("--workdir", type=Path, help="keep corpus and findings here")
    arguments = parser.parse_args()
    workdir = arguments.workdir or Path(tempfile.mkdtemp(prefix="bitaqa-fuzz-"))
    corpus = workdir / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    seeds = seed_corpus(corpus)
    print(
        f"seeds: {seeds} ({len(VALID_REQUESTS)} requests, {len(VALID_LISTS)} lists and "
        f"{len(VALID_SIGNATURES)} tokens accepted); corpus and findings in {workdir}",
        flush=True,
    )
    libfuzzer_arguments = [
        sys.argv[0],
        str(corpus),
        f"-max_total_time={arguments.seconds}",
        f"-artifact_prefix={workdir}/",
        "-max_len=12000",
        "-print_final_stats=1",
        "-rss_limit_mb=1024",
    ]
    atheris.Setup(libfuzzer_arguments, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
