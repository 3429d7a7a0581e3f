"""Business hours: the rules (when support is open), their storage, and the supervisors' page."""
