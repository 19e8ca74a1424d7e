"""Which address-reuse option the agent sets before binding, per platform (research §3.6)."""

from __future__ import annotations

import socket

from bitaqa.agent.server.ports import SO_EXCLUSIVEADDRUSE, address_reuse_option


def test_windows_binds_exclusively_so_another_user_cannot_take_the_port():
    """On Windows SO_REUSEADDR would let another process bind the same port: exclusive instead."""
    option = address_reuse_option("win32")
    assert option == SO_EXCLUSIVEADDRUSE == -5  # Winsock: ~SO_REUSEADDR (4)
    assert option != socket.SO_REUSEADDR


def test_posix_keeps_so_reuseaddr_for_restarts():
    """Linux and macOS keep SO_REUSEADDR (a listening port still cannot be bound twice there)."""
    assert address_reuse_option("linux") == socket.SO_REUSEADDR
    assert address_reuse_option("darwin") == socket.SO_REUSEADDR
