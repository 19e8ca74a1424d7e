"""Card drivers behind one small interface, and the only code that talks to PC/SC."""
