"""Realtime plumbing shared by the live areas: the pulse (coalesced broadcasts), room names, the namespace base."""
