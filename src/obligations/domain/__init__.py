"""Pure domain logic: no database, no clock; every function takes the date it needs."""
