"""Due tasks: their state (one table of outcomes for Python and SQL), generation from the
rules, the one task listing used by the CLI, the web and the API, the dashboard counts, and
waivers (豁免)."""
