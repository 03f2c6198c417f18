"""Generation providers, each a plugin of its own: ``demo`` (offline) and ``kie`` (HTTP)."""
