"""Public registration: capacity, waitlist, tickets, cancel link, door check-in."""
