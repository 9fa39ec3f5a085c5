"""The demo college: its data files (``college.yaml``, loaded by :mod:`obligations.orgdata`)
and a recorded year of its history (:mod:`obligations.demo.history`: evidence on time, late
and missing, reviews, a waiver, a returned record, standing evidence, ledger figures and
notes), so a newcomer's first screens show what the product does."""
