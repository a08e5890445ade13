"""Adapters: intake tables and repositories, the form files, the waste contractor client."""
