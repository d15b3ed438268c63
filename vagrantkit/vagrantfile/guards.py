"""Is a statement only run when a condition holds (a plugin installed, a Windows host)?

Guards come in many spellings, all read here without running anything: ``if``/``elsif``/``else``,
``unless ... else``, modifiers, ``cond && stmt``, an early ``next``/``return unless cond`` before the
statement, negation (``!``, ``not``), ``&&``/``||``, and a guard held in a variable
(``winnfsd = Vagrant.has_plugin?("vagrant-winnfsd")`` ... ``if winnfsd``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vagrantkit.vagrantfile import syntax
from vagrantkit.vagrantfile.syntax import text

if TYPE_CHECKING:
    from tree_sitter import Node

    from vagrantkit.vagrantfile.model import Vagrantfile

# Is this expression (not a compound: a call, a `defined?`) the condition, or its opposite?
Atom = Callable[["Node"], bool]


@dataclass(frozen=True)
class Condition:
    """What a guard must ensure: ``holds`` recognises an expression that is true only when it holds,
    ``fails`` one that is true only when it does not (``OS.linux?`` for "a Windows host")."""

    holds: Atom
    fails: Atom = lambda _node: False


def implies(model: Vagrantfile, cond: Node | None, atom: Condition, positive: bool = True, depth: int = 0) -> bool:
    """Whether ``cond`` being ``positive`` (true, or false) means the condition holds."""
    if cond is None or depth > 20:
        return False
    kind = cond.type
    if kind in ("parenthesized_statements", "begin") and cond.named_child_count == 1:
        return implies(model, cond.named_children[0], atom, positive, depth + 1)
    if kind == "unary":
        operator = cond.child_by_field_name("operator")
        if operator is not None and text(operator) in ("!", "not"):
            return implies(model, cond.child_by_field_name("operand"), atom, not positive, depth + 1)
        if operator is not None and text(operator) == "defined?":
            return atom.holds(cond) if positive else False
    if kind == "binary":
        operator = cond.child_by_field_name("operator")
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        op = text(operator) if operator is not None else ""
        if op in ("&&", "and"):
            if positive:
                return implies(model, left, atom, True, depth + 1) or implies(model, right, atom, True, depth + 1)
            return False
        if op in ("||", "or"):
            if positive:
                return implies(model, left, atom, True, depth + 1) and implies(model, right, atom, True, depth + 1)
            return implies(model, left, atom, False, depth + 1) or implies(model, right, atom, False, depth + 1)
    if kind == "identifier":
        value = model.assignment_of(cond)
        if value is not None:
            return implies(model, value, atom, positive, depth + 1)
    return atom.holds(cond) if positive else atom.fails(cond)


def _exits(node: Node) -> bool:
    return node.type in ("next", "return", "break") or (node.type == "call" and text(node) in ("next", "return"))


def guarded(model: Vagrantfile, node: Node, atom: Condition) -> bool:
    """``node`` runs only when ``atom``'s condition holds."""
    for parent, child in syntax.ancestors(node):
        kind = parent.type
        cond = parent.child_by_field_name("condition")
        if kind in ("if", "elsif", "conditional", "unless"):
            consequence = parent.child_by_field_name("consequence")
            in_then = syntax.same(consequence, child)
            in_else = syntax.same(parent.child_by_field_name("alternative"), child)
            positive = (kind != "unless") == in_then
            if (in_then or in_else) and implies(model, cond, atom, positive):
                return True
        elif kind in ("if_modifier", "unless_modifier"):
            if syntax.same(parent.child_by_field_name("body"), child) and implies(
                model, cond, atom, kind == "if_modifier"
            ):
                return True
        elif kind == "binary":
            operator = parent.child_by_field_name("operator")
            if (
                operator is not None
                and text(operator) in ("&&", "and")
                and syntax.same(parent.child_by_field_name("right"), child)
                and implies(model, parent.child_by_field_name("left"), atom, True)
            ):
                return True
        # `next unless cond` (or `return if !cond`) earlier in the same statement list.
        sibling = child.prev_named_sibling
        while sibling is not None:
            if sibling.type in ("unless_modifier", "if_modifier"):
                body = sibling.child_by_field_name("body")
                if body is not None and _exits(body):
                    positive = sibling.type == "unless_modifier"
                    if implies(model, sibling.child_by_field_name("condition"), atom, positive):
                        return True
            sibling = sibling.prev_named_sibling
        if parent.type in ("method", "singleton_method", "class", "module"):
            break
    return False


_WINNFSD_CONSTANT = re.compile(r"winnfsd", re.IGNORECASE)


def has_winnfsd(node: Node) -> bool:
    """``Vagrant.has_plugin?("vagrant-winnfsd")`` (or the registered name ``WinNFSd``), or ``defined?(...WinNFSd)``."""
    if node.type == "call":
        method = node.child_by_field_name("method")
        receiver = node.child_by_field_name("receiver")
        if (
            method is not None
            and text(method) == "has_plugin?"
            and receiver is not None
            and text(receiver) == "Vagrant"
        ):
            positional, _, _ = syntax.call_arguments(node)
            return bool(positional) and str(syntax.literal(positional[0])).lower() in ("vagrant-winnfsd", "winnfsd")
    if node.type == "unary" and text(node).startswith("defined?"):
        return bool(_WINNFSD_CONSTANT.search(text(node)))
    return False


def stale_winnfsd_constant(node: Node) -> bool:
    """``defined?(VagrantPlugins::VagrantWinNFSd)``: since vagrant-winnfsd 1.0.7 (2014) the plugin's
    module is the top-level ``VagrantWinNFSd``, so this is never true and what it guards never runs."""
    return node.type == "unary" and text(node).startswith("defined?") and "VagrantPlugins::" in text(node)


_WINDOWS = re.compile(r"\b(windows\?|win_platform\?|is_windows)|(RUBY_PLATFORM|host_os).*(mswin|mingw|cygwin|win32)")
_OTHER_OS = re.compile(
    r"\b(linux\?|is_linux|mac\?|is_mac|osx\?|darwin\?|unix\?)|(RUBY_PLATFORM|host_os).*(darwin|linux)"
)


def _windows(node: Node) -> bool:
    """``Vagrant::Util::Platform.windows?``, ``Gem.win_platform?``, ``OS.windows?``, ``RUBY_PLATFORM =~ /mswin|mingw/``."""
    return bool(_WINDOWS.search(text(node)))


def _other_os(node: Node) -> bool:
    return bool(_OTHER_OS.search(text(node))) and not _windows(node)


_MAC = re.compile(r"\b(mac\?|is_mac|osx\?|darwin\?)|(RUBY_PLATFORM|host_os).*darwin")
_LINUX = re.compile(r"\b(linux\?|is_linux)|(RUBY_PLATFORM|host_os).*linux")


def _linux(node: Node) -> bool:
    """``OS.linux?``, ``Vagrant::Util::Platform.linux?``, ``RUBY_PLATFORM =~ /linux/`` (not one naming another OS too)."""
    return bool(_LINUX.search(text(node))) and not _windows(node) and not _MAC.search(text(node))


def _windows_or_mac(node: Node) -> bool:
    return (_windows(node) or bool(_MAC.search(text(node)))) and not _LINUX.search(text(node))


WINNFSD_INSTALLED = Condition(has_winnfsd)
WINDOWS_HOST = Condition(_windows, _other_os)
NOT_WINDOWS_HOST = Condition(_other_os, _windows)
NOT_LINUX_HOST = Condition(_windows_or_mac, _linux)
