"""The year-end ledger (台账): one unit's form as data, rendered as DOCX, XLSX, HTML, PDF."""
