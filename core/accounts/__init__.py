"""Users and their balances: the only code that writes money, each move with its ledger row.

May import: the ground floor and core.telegram."""
