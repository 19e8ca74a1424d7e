"""The Bitaqa agent: the daemon that holds the card reader and serves the local protocol."""
