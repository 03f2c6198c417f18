"""The core's own screens: /start, help, balance, cancel, and the admins' commands.

May import: every floor below it (ground, telegram, accounts, bot, host, generation)."""
