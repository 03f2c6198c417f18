"""The catalog of user texts: one module per language, each a ``TEXTS`` dict.

Russian (``ru``) is the default and has every key; another language may leave keys
out, which then fall back to Russian. Plugins add their keys with ``plugin_texts``.
"""
