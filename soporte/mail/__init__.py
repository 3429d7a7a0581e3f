"""Email when nobody is online: addresses, the durable outbox, its sender, and what it sends (offline replies,
new conversations for agents who opt in, transcripts)."""
