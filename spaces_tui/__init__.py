"""Spaces: one reservation engine for every bookable thing in a live-production venue."""

__version__ = "0.1.0"
