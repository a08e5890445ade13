"""Simulators of third parties: each speaks that party's real protocol on loopback (DESIGN.md)."""
