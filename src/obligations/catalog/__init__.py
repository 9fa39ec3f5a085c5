"""The rule catalog: the ledger form as data, periodic rules and indicator definitions."""
