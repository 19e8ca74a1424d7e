"""The loopback WebSocket server: binding, TLS, handshake checks, one connection loop."""
