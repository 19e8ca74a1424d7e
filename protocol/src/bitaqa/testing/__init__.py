"""Test helpers shipped for our tests and for portal developers' CI.

A deterministic test PKI and builders for signed requests and tokens.
"""
