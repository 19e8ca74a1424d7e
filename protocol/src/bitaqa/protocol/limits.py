"""Message bounds and timeouts of protocol v1 (SPEC.md §9).

The agent decodes what a page sends with :data:`AGENT_LIMITS`; a client decodes what the agent sends
with :data:`CLIENT_LIMITS`, which are larger because results carry certificates and photos.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGENT_LIMITS",
    "CLIENT_LIMITS",
    "MAX_SAFE_INTEGER",
    "MAX_SIGNED_REQUEST_LENGTH",
    "Limits",
]

#: Largest integer a JSON number may hold (2**53 - 1), so JavaScript reads every number exactly.
MAX_SAFE_INTEGER = 2**53 - 1

#: Longest compact JWS accepted as a ``signedRequest`` parameter, in characters.
MAX_SIGNED_REQUEST_LENGTH = 8192


@dataclass(frozen=True)
class Limits:
    """Bounds applied to every frame before and while it is decoded (SPEC.md §9).

    Attributes:
        max_frame_bytes: largest WebSocket message, in UTF-8 bytes; checked before parsing.
        max_depth: deepest nesting of arrays and objects; the top-level object is depth 1.
        max_string_length: longest string value or object key, in characters.
        max_array_length: most elements in one array, and most members in one object.
        max_requests_in_flight: requests one connection may have queued or running at once.
        max_connections_per_origin: open WebSocket connections one origin may hold.
        user_interaction_seconds: how long a consent or PIN dialog waits for the user.
        pin_pad_seconds: how long a PIN-pad reader waits for the PIN.
        handshake_seconds: how long a TCP connection may take to finish the WebSocket handshake.
    """

    max_frame_bytes: int = 16_384
    max_depth: int = 8
    max_string_length: int = MAX_SIGNED_REQUEST_LENGTH
    max_array_length: int = 32
    max_requests_in_flight: int = 8
    max_connections_per_origin: int = 16
    user_interaction_seconds: int = 120
    pin_pad_seconds: int = 90
    handshake_seconds: int = 10


#: Bounds for frames a page sends to the agent.
AGENT_LIMITS = Limits()

#: Bounds for frames the agent sends to a page (results carry certificates and photos).
CLIENT_LIMITS = Limits(
    max_frame_bytes=1_048_576, max_depth=16, max_string_length=524_288, max_array_length=256
)
