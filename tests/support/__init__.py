"""Shared test fixtures and helpers (pcscd + virtual card harness, agent process, PKI)."""
