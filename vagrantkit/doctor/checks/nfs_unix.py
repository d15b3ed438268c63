"""Checks: nfs_unix."""

from __future__ import annotations
