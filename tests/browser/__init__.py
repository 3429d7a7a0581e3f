"""The chat page in a real browser (Playwright driving Debian's Chromium)."""
