"""Reminders (提醒): stages before and after a due date, who receives what, planning reminder
items, the sweep that claims and sends digests, message templates, the channel configuration
of a data directory and the delivery log."""
