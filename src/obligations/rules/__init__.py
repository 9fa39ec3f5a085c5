"""Calendar rules: the catalog (the form's 30 items, the rules, the indicators), periods and
due dates on the 校历 with China's holidays and 调休, and planning rules into due tasks.

``schema``/``catalog``/``problems`` load and validate the YAML; ``periods``, ``workdays`` and
``planning`` are pure; ``calendars`` reads the college's academic calendar from the database;
``check`` is ``obligations rules check``.
"""
