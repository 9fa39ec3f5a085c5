"""Command-line interface. Commands parse arguments, call services and print; nothing more."""
