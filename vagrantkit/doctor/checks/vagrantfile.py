"""Checks: vagrantfile."""

from __future__ import annotations
