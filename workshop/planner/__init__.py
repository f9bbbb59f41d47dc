"""Workshops, their agenda (run of show), polls prepared ahead and co-facilitators."""
