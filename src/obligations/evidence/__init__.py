"""Evidence (佐证材料): content-addressed file storage, intake of uploads, records against tasks
and standing ledger items, review, withdrawal, and the checks a record must pass."""
