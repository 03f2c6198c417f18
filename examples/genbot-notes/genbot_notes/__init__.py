"""genbot-notes: an example third-party plugin for genbot."""
