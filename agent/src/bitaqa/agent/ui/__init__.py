"""Everything the resident sees: the UI interface, Qt dialogs, the tray."""
