"""Checks: host."""

from __future__ import annotations
