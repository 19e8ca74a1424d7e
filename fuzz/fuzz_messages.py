"""Coverage-guided fuzzing of the message half of the protocol core (atheris / libFuzzer).

Run:  .venv/bin/python fuzz/fuzz_messages.py --seconds 600 [--corpus DIR]

Each input is fed, by its first byte, to one of: the agent's request parser (parse_call), the
client's response parser (parse_response), the origin parser (both modes), or a structured mode
that builds a params object for a chosen method.  A finding is any exception other than
ProtocolError, or a broken round trip (serialise then parse gives something else; a normalised
origin normalises to itself).  libFuzzer prints "Done N runs in T second(s)" at the end; a
finding stops the run with a traceback and a crash-* file in the corpus directory's parent.
The corpus starts from protocol/vectors/messages.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from bitaqa.protocol.errors import ProtocolError
    from bitaqa.protocol.jsonrpc import Request, parse_response, serialize
    from bitaqa.protocol.methods import METHODS, parse_call, parse_params
    from bitaqa.protocol.origin import parse_origin

VECTORS = Path(__file__).resolve().parents[1] / "protocol" / "vectors" / "messages.json"
PARAM_NAMES = ["challengeNonce", "reader", "lang", "signedRequest", "id", "hash", "origin"]


def check_request(data: bytes) -> None:
    try:
        call = parse_call(data)
    except ProtocolError:
        return
    again = parse_call(
        serialize(Request(call.request.id, call.request.method, call.params.to_wire()))
    )
    if again != call:
        raise AssertionError(f"request round trip changed {call!r} into {again!r}")


def check_response(data: bytes) -> None:
    try:
        message = parse_response(data)
    except ProtocolError:
        return
    again = parse_response(serialize(message))
    if again != message:
        raise AssertionError(f"response round trip changed {message!r} into {again!r}")


def check_origin(text: str, *, allow_insecure_localhost: bool) -> None:
    try:
        origin = parse_origin(text, allow_insecure_localhost=allow_insecure_localhost)
    except ProtocolError:
        return
    again = parse_origin(origin.serialize(), allow_insecure_localhost=allow_insecure_localhost)
    if again != origin:
        raise AssertionError(f"origin {text!r} normalised to {origin!r}, then to {again!r}")


def fuzzed_value(provider: atheris.FuzzedDataProvider) -> object:
    kind = provider.ConsumeIntInRange(0, 5)
    if kind == 0:
        return provider.ConsumeUnicodeNoSurrogates(provider.ConsumeIntInRange(0, 200))
    if kind == 1:
        return provider.ConsumeIntInRange(-(2**53), 2**53)
    if kind == 2:
        return provider.ConsumeBool()
    if kind == 3:
        return None
    if kind == 4:
        return base64.b64encode(provider.ConsumeBytes(provider.ConsumeIntInRange(0, 100))).decode()
    return ".".join(
        base64.urlsafe_b64encode(provider.ConsumeBytes(8)).decode().rstrip("=") for _ in range(3)
    )


def check_params(provider: atheris.FuzzedDataProvider) -> None:
    method = METHODS[provider.ConsumeIntInRange(0, len(METHODS) - 1)]
    params = {
        PARAM_NAMES[provider.ConsumeIntInRange(0, len(PARAM_NAMES) - 1)]: fuzzed_value(provider)
        for _ in range(provider.ConsumeIntInRange(0, 4))
    }
    try:
        parsed = parse_params(method, params)  # type: ignore[arg-type]
    except ProtocolError:
        return
    if parse_params(method, parsed.to_wire()) != parsed:
        raise AssertionError(f"params round trip changed for {method} {params!r}")


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, rest = data[0] % 5, data[1:]
    if mode == 0:
        check_request(rest)
    elif mode == 1:
        check_response(rest)
    elif mode in (2, 3):
        check_origin(rest.decode("utf-8", "replace"), allow_insecure_localhost=mode == 3)
    else:
        check_params(atheris.FuzzedDataProvider(rest))


def seed_corpus(directory: Path) -> None:
    seeds = [
        "https://portal.example",
        "http://localhost:8443",
        "https://[::1]:27360",
        "https://بطاقة.example",
    ]
    for index, vector in enumerate(json.loads(VECTORS.read_text())["vectors"]):
        if "frame" in vector:
            mode = b"\x00" if vector["direction"] == "toAgent" else b"\x01"
            (directory / f"vector-{index}").write_bytes(mode + vector["frame"].encode())
    for index, origin in enumerate(seeds):
        (directory / f"origin-{index}").write_bytes(b"\x02" + origin.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to fuzz")
    parser.add_argument(
        "--corpus", type=Path, help="corpus directory (default: a new temporary one)"
    )
    arguments = parser.parse_args()
    corpus = arguments.corpus or Path(tempfile.mkdtemp(prefix="bitaqa-fuzz-"))
    corpus.mkdir(parents=True, exist_ok=True)
    seed_corpus(corpus)
    print(f"fuzzing for {arguments.seconds} s, corpus {corpus}", flush=True)
    libfuzzer_flags = [
        sys.argv[0],
        f"-max_total_time={arguments.seconds}",
        f"-artifact_prefix={corpus.parent}/",
        "-max_len=20000",
        "-print_final_stats=1",
        str(corpus),
    ]
    atheris.Setup(libfuzzer_flags, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
