"""Interop: Spaces delivered to other systems (#16): the event relay (relay.py)."""
