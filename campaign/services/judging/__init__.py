"""Appraisal: judge assignment, conflicts of interest, judges' scores, the council."""
