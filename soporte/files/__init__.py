"""Attachments: the file store, what a file's content is, thumbnails, and the uploads' rows."""
