"""Audit's HTTP adapters: the trail for users (list, export, verify) and, for operators, the
whole-trail check, the anchor check and the archive read-back."""
