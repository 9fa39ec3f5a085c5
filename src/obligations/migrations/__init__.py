"""Alembic migrations of the database schema (``obligations.schema`` runs them)."""
