"""Bulk evidence intake: a folder or ZIP of a year's files read one at a time, and for each a
proposal (the task it closes or the standing item it supports, the activity date, a title,
the kind, the participants, a confidence with its reasons in Chinese). Nothing is recorded
until a person confirms; confirmed proposals go through :mod:`obligations.evidence.intake`.

- :mod:`.dates` (pure): dates written the Chinese ways;
- :mod:`.readers`: text and photo dates from .docx, .pdf, .xlsx, .txt and images, bounded;
- :mod:`.matching` (pure): from what was read to a proposal;
- :mod:`.sources`: files streamed from a folder or a ZIP (hostile archives refused);
- :mod:`.service`: the intake scope from the database, proposing, applying confirmed rows;
- :mod:`.sheet`: the reviewable CSV/XLSX of proposals, written and read back.
"""
