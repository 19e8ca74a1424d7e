"""Policy state across restarts, with the real agent process: consent, trust list, replay cache."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed

from support.agent import (
    OTHER_ORIGINS,
    STRICT_ORIGIN,
    TRUSTED_ORIGIN,
    nonce,
    raw_handshake,
    upgrade_headers,
)


async def _status(agent, origin: str = TRUSTED_ORIGIN) -> dict:
    async with agent.connect(origin) as page:
        return (await page.call("status"))["result"]


@pytest.mark.pcscd
def test_tampered_consent_file_is_reported_and_treated_as_empty(
    start_agent, pcsc_environment, virtual_card
):
    """Invariant 7: an edited consent file is reported and not believed; every origin is asked."""
    agent = start_agent(pcsc=pcsc_environment)
    agent.wait_for_card()
    agent.script(consent="allow-always")

    async def certificate(origin: str) -> dict:
        async with agent.connect(origin) as page:
            for _ in range(100):
                answer = await page.call("getSigningCertificate")
                if answer.get("error", {}).get("data", {}).get("reason") != "NO_CARD":
                    return answer
                await asyncio.sleep(0.05)
        raise AssertionError("card not seen")

    assert "result" in asyncio.run(certificate(TRUSTED_ORIGIN))
    agent.stop()
    store = agent.config_dir / "consent.json"
    document = json.loads(store.read_text())
    document["decisions"]["https://portal2.example"] = "allow"  # forged: the MAC no longer matches
    store.write_text(json.dumps(document))
    agent.restart()
    agent.wait_for_card()
    assert asyncio.run(_status(agent))["policy"]["consentStore"] == "tampered"
    agent.script(consent="deny")
    for origin in ("https://portal2.example", TRUSTED_ORIGIN):
        assert asyncio.run(certificate(origin))["error"]["data"]["reason"] == "USER_DENIED"
    asked = [p["origin"] for p in agent.prompts() if p["kind"] == "consent"]
    assert asked == [TRUSTED_ORIGIN, "https://portal2.example", TRUSTED_ORIGIN]
    assert any(e["event"] == "consent-store-reset" for e in agent.log_events())
    assert "mac" in json.loads(store.read_text())  # rewritten with a valid MAC on the next change


def test_trust_list_rollback_is_refused_and_reported(start_agent, trust_authority):
    """Invariant 5: a lower trust-list version never replaces a higher one, even after a restart."""
    agent = start_agent(trust_version=5)
    assert asyncio.run(_status(agent))["policy"]["trustList"]["version"] == 5
    agent.stop()
    rollback = [
        *trust_authority.default_entries(),
        trust_authority.entry("https://rollback.example"),
    ]
    (agent.system_dir / "trust-list.jws").write_text(trust_authority.trust_list(3, rollback))
    agent.restart()
    trust = asyncio.run(_status(agent))["policy"]["trustList"]
    assert trust["version"] == 5
    assert trust["state"] == "fallback"
    assert "ROLLBACK" in trust["problems"]
    port = agent.ports["ws"]
    assert raw_handshake(port, upgrade_headers(port, "https://rollback.example"))[0] == 403
    assert raw_handshake(port, upgrade_headers(port, TRUSTED_ORIGIN))[0] == 101


def test_broken_or_expired_trust_lists_fall_back_and_are_reported(start_agent, trust_authority):
    """A malformed, wrongly signed or expired list is reported; the last good list stays."""
    agent = start_agent(trust_version=2)
    list_path = agent.system_dir / "trust-list.jws"
    for content, reason in [
        ("not a jws", "MALFORMED"),
        (trust_authority.trust_list(7)[:-4] + "AAAA", "SIGNATURE"),
        (trust_authority.trust_list(8, issued_at=1_000_000, lifetime=60), "EXPIRED"),
    ]:
        list_path.write_text(content)
        agent.reload_policy()
        trust = asyncio.run(_status(agent))["policy"]["trustList"]
        assert trust["state"] == "fallback", trust
        assert trust["version"] == 2, trust
        assert trust["problems"] == [reason]
    assert any(
        e["event"] == "trust-list-loaded" and e["level"] == "warning" for e in agent.log_events()
    )


def test_local_it_entries_are_admitted_only_when_policy_allows(start_agent, trust_authority):
    """IT may add origins in policy.json; without allowLocalEntries they are ignored."""
    agent = start_agent()
    local = trust_authority.entry("http://localhost:8443")
    policy = {"allowLocalEntries": False, "allowInsecureLocalhost": True, "entries": [local]}
    (agent.system_dir / "policy.json").write_text(json.dumps(policy))
    agent.reload_policy()
    port = agent.ports["ws"]
    assert raw_handshake(port, upgrade_headers(port, "http://localhost:8443"))[0] == 403
    policy["allowLocalEntries"] = True
    (agent.system_dir / "policy.json").write_text(json.dumps(policy))
    agent.reload_policy()
    assert raw_handshake(port, upgrade_headers(port, "http://localhost:8443"))[0] == 101


def test_replay_cache_survives_an_agent_restart(start_agent, trust_authority):
    """Invariant 5: a signed request used before a restart is REQUEST_REPLAYED after it."""
    agent = start_agent()
    challenge = nonce()
    request = trust_authority.signed_request(
        "authenticate", STRICT_ORIGIN, challengeNonce=challenge
    )

    async def authenticate() -> str:
        async with agent.connect(STRICT_ORIGIN) as page:
            params = {"challengeNonce": challenge, "signedRequest": request}
            return (await page.call("authenticate", params))["error"]["data"]["reason"]

    assert asyncio.run(authenticate()) == "PCSC_UNAVAILABLE"  # verified (jti kept), then no card
    agent.restart()
    assert asyncio.run(authenticate()) == "REQUEST_REPLAYED"
    entries = json.loads((agent.config_dir / "replay.json").read_text())["entries"]
    assert len(entries) == 1


def test_other_origins_share_no_remembered_state(start_agent):
    """The origin in each hello is that connection's handshake origin."""
    agent = start_agent()

    async def hellos() -> list[str]:
        origins = []
        for origin in (TRUSTED_ORIGIN, *OTHER_ORIGINS):
            async with agent.connect(origin) as page:
                origins.append(page.hello["params"]["origin"])
        return origins

    assert asyncio.run(hellos()) == [TRUSTED_ORIGIN, *OTHER_ORIGINS]


def test_a_reload_closes_connections_of_origins_no_longer_trusted(start_agent, trust_authority):
    """SPEC §4.6: after a reload drops an origin, its open connections close with 1008; the
    connections of origins still on the list stay open."""
    agent = start_agent()
    kept = [trust_authority.entry(origin) for origin in OTHER_ORIGINS]

    async def scenario() -> None:
        async with (
            agent.connect(TRUSTED_ORIGIN) as dropped,
            agent.connect(OTHER_ORIGINS[0]) as page,
        ):
            (agent.system_dir / "trust-list.jws").write_text(trust_authority.trust_list(2, kept))
            await asyncio.to_thread(agent.reload_policy)
            async with asyncio.timeout(5):
                await dropped.connection.wait_closed()
            with pytest.raises(ConnectionClosed):
                await dropped.connection.recv()
            assert dropped.connection.close_code == 1008
            assert (await page.call("status"))["result"]["policy"]["trustList"]["version"] == 2

    asyncio.run(scenario())
    port = agent.ports["ws"]
    assert raw_handshake(port, upgrade_headers(port, TRUSTED_ORIGIN))[0] == 403
