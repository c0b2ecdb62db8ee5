"""What units send: entries and their values, evidence files, workbooks, reporting rates."""
