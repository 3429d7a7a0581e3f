"""The website widget: its JSON routes (api.py) and its page and loader (page.py)."""
