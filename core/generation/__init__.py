"""A generation job, stage by stage: the provider contract, the catalog, the queue and its
workers, ordering, progress, the job's end, delivery, history.

May import: every floor below it (ground, telegram, accounts, bot, host)."""
