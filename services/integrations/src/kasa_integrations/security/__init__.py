"""Infrastructure that keeps plugin secrets secret.

``credentials`` encrypts credentials at rest (the vault); ``redaction`` keeps their values out
of logs, error messages and sync history while a run holds them decrypted. Neither knows
HTTP or the database; the application layer uses both.
"""
