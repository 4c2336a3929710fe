"""Keys as the user reads them, taken from the screens' BINDINGS (never written out by hand, so
a renamed key shows renamed everywhere): the help, the details' buttons and the README's check
all read them from here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App
from textual.binding import Binding, BindingType

from spaces_tui.tui.glyphs import GLYPHS


def bindings_of(bindings: Iterable[BindingType]) -> list[Binding]:
    """A BINDINGS list as Binding objects, one per key ("left,h" is two)."""
    return list(Binding.make_bindings(bindings))


def key_display(app: App[Any], binding: Binding) -> str:
    """A key as Textual shows it (its footer's arrows and symbols) on a Unicode terminal; by
    its name (left, enter, pageup) where the glyph set is not Unicode."""
    if GLYPHS.name != "unicode":
        return binding.key
    return app.get_key_display(binding)


def keys_for(app: App[Any], bindings: Iterable[BindingType], action: str) -> list[str]:
    """Every key bound to action, as Textual shows keys (its footer's own formatting)."""
    return [key_display(app, b) for b in bindings_of(bindings) if b.action == action]


def key_for(app: App[Any], bindings: Iterable[BindingType], action: str) -> str:
    """The first key bound to action, as shown; "" if none is."""
    keys = keys_for(app, bindings, action)
    return keys[0] if keys else ""
