"""The terminal calendar. Imported only when it is opened, so the command line stays quick."""
