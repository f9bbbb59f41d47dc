"""What the planner announces: areas above it (live, questions) subscribe, so the planner imports none of them."""

from blinker import Namespace

_signals = Namespace()

# sender: the source Workshop; ``copy``: the new draft (flushed, not yet committed: receivers add to it).
workshop_cloned = _signals.signal("workshop-cloned")
# sender: the Workshop whose details were saved (moderation, names, joining cap or key may have changed).
workshop_settings_changed = _signals.signal("workshop-settings-changed")
