"""Detached step processes that outlive the app (wrapper, exit record, re-attach).

Kept import-light: the masking filter imports this package in a bare interpreter.
"""
