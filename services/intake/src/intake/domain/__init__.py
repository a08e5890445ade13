"""Intake's rules: pure functions and values, no framework, no I/O."""
