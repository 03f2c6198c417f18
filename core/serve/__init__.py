"""The doors an update comes in by: the web app, polling, the WSGI server, the console.

May import: every floor below it, and core.app."""
