"""Checks: vagrant."""

from __future__ import annotations
