"""Service layer: the one place business operations live; CLI, web and scheduler call it."""
