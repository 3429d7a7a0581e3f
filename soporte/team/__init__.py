"""Agent management: the supervisors' team page, the audit log, and the one-time link page."""
