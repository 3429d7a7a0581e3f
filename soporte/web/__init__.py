"""web: what a browser gets besides the API. Login, registration and logout pages, the chat page, the language,
security headers and rate limits, and the error pages and JSON errors.
"""
