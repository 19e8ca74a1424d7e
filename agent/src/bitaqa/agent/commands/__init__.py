"""One command object per protocol method; the controller runs them (ARCHITECTURE.md)."""
