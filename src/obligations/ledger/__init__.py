"""The year-end ledger (台账): the facts of one unit's year read from its tasks and records
(``data``), composed item by item into 落实情况 / 是否达标 / 差距及措施 (``service``, ``items``,
``periodic``, ``checks``, ``figures``, ``text``), the unit's notes and figures (``notes``),
rendered as DOCX, XLSX, HTML and PDF (``formats``, ``render_*``), the evidence bundle and the
college summary."""
