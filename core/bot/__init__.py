"""The conversation framework: updates, dispatch, conversation state, menus, texts, languages.

May import: the ground floor, core.telegram and core.accounts."""
