"""obligations: recurring Party-organization obligations, their evidence and the year-end ledger."""

__version__ = "0.1.0"
