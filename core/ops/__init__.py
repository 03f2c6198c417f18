"""The operator's commands, never on the request path: cli, migrations, the embedded
server, backup, doctor, cleanup. May import: anything of core."""
