"""Organization data: units, branches, people, roles and the 校历, imported from YAML, CSV or
the Excel onboarding workbook, checked in full before anything is written; the demo college."""
