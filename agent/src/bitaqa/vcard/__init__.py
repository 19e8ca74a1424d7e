"""The virtual card: a PIV card emulated in Python that connects to pcscd's vpcd driver."""
