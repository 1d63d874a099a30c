"""The public status page and its feeds (Atom, iCalendar, JSON)."""
