"""Checks: nfs_windows."""

from __future__ import annotations
