"""The plugin host: the hookspecs plugins implement, loading, settings, table probes, isolation.

May import: the ground floor, core.telegram, core.accounts and core.bot."""
