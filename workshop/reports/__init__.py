"""After the session: report, charts and exports."""
