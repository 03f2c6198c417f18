# genbot's shipped harness: a real PostgreSQL, the Bot API stand-in, the bot itself.
pytest_plugins = ["genbot.testing.fixtures"]
