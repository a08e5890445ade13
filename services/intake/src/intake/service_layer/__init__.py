"""Use cases: one function per command, storage passed as keyword-only arguments."""
