"""One parsed model of a Vagrantfile: what it configures, for which machines, under which guards.

Read with tree-sitter's Ruby grammar (error-tolerant, exact byte positions, nothing executed).
Vagrant's semantics that the model follows (hashicorp/vagrant v2.3.4, plugins/kernel_v2/config/vm.rb):

* ``Vagrant.configure(...) do |config|`` blocks; settings go through the block variable.
* ``config.vm.define "web" do |web|`` machines: the top level applies to every machine, a define
  block only to its own (vagrantfile.rb merges the define's procs over the root config); a
  provider block's second parameter (``|vb, override|``) is a root config for that provider.
* ``synced_folder``: a truthy ``nfs:`` becomes ``type: :nfs``; ``type`` is made a symbol, so
  ``"nfs"`` and ``:nfs`` are one type; ``mount_options`` must be an array.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from vagrantkit.vagrantfile import syntax
from vagrantkit.vagrantfile.source import Source
from vagrantkit.vagrantfile.syntax import COMPUTED, Symbol, literal, text

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

WINNFSD = "vagrant-winnfsd"
# Nodes that start a new scope for local variables (a block does not: it sees its surroundings).
_SCOPES = ("method", "singleton_method", "class", "module", "singleton_class", "program")
_BLOCKS = ("do_block", "block", "lambda")
# The statement lists a statement can stand in.
_BODIES = ("body_statement", "then", "else", "program", "begin_block", "end_block", "block_body", "begin")


def key(node: Node) -> tuple[int, int, str]:
    return (node.start_byte, node.end_byte, node.type)


@dataclass(frozen=True)
class Option:
    """``name: value`` in a call: the pair and its value's literal (or COMPUTED, read when asked)."""

    name: str
    pair: Node
    value: Node | None

    @cached_property
    def literal(self) -> Any:
        return literal(self.value)


@dataclass(frozen=True)
class Machine:
    """A ``config.vm.define`` block (its name may be computed, e.g. ``"node#{i}"`` in a loop)."""

    name: Any
    call: Node
    block: Node | None
    var: str | None

    @property
    def label(self) -> str:
        """The name, or as written when computed (``"node#{i}"``)."""
        if self.name is COMPUTED:
            positional, _, _ = syntax.call_arguments(self.call)
            return text(positional[0]) if positional else "(unnamed)"
        return str(self.name)


@dataclass(frozen=True)
class Setting:
    """A call through a config object (``config.vm.synced_folder``, ``config.vm.network``...)."""

    call: Node
    statement: Node
    machine: Machine | None  # None: the top level, every machine
    positional: tuple[Node, ...]
    options: dict[str, Option]
    unknown_options: bool  # a ``**splat`` may add options that cannot be read

    def option(self, name: str) -> Any:
        """The literal value of an option; None when absent; COMPUTED when unknowable."""
        found = self.options.get(name)
        if found is None:
            return COMPUTED if self.unknown_options else None
        return found.literal

    def argument(self, index: int) -> Any:
        return literal(self.positional[index]) if index < len(self.positional) else COMPUTED

    @property
    def line(self) -> int:
        return self.call.start_point[0] + 1


@dataclass(frozen=True)
class SyncedFolder(Setting):
    @property
    def host(self) -> Any:
        return self.argument(0)

    @property
    def guest(self) -> Any:
        value = self.option("guestpath") if len(self.positional) < 2 else self.argument(1)
        return value

    @cached_property
    def type(self) -> Any:
        """``"nfs"``, ``"rsync"``... as Vagrant normalises it; None for the provider's default; COMPUTED."""
        nfs = syntax.truthy(self.option("nfs")) if "nfs" in self.options else False
        if nfs:
            return "nfs"
        kind = self.option("type")
        if kind is COMPUTED or (nfs is None and kind is None):
            return COMPUTED
        return None if kind is None else str(kind).lower()

    @cached_property
    def nfs(self) -> bool | None:
        kind = self.type
        return None if kind is COMPUTED else kind == "nfs"

    @property
    def disabled(self) -> bool | None:
        return syntax.truthy(self.option("disabled")) if "disabled" in self.options or self.unknown_options else False

    @cached_property
    def mount_options(self) -> Any:
        """The mount options one per item (Vagrant joins the list with commas, so ``"a,b"`` is two);
        None when absent; COMPUTED when not a literal list of strings."""
        value = self.option("mount_options")
        if value is None or value is COMPUTED:
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return COMPUTED
        return [o.strip() for item in value for o in item.split(",") if o.strip()]


@dataclass(frozen=True)
class Network(Setting):
    @property
    def kind(self) -> Any:
        value = self.argument(0)
        return str(value) if isinstance(value, (str, Symbol)) else COMPUTED


@dataclass(frozen=True)
class Provider(Setting):
    block: Node | None = None

    @property
    def name(self) -> Any:
        value = self.argument(0)
        return str(value) if isinstance(value, (str, Symbol)) else COMPUTED


@dataclass(frozen=True)
class Statement:
    """A statement the rules judge on its own (``config.winnfsd.uid = 1000``, ``config.vagrant.plugins = ...``)."""

    node: Node  # the assignment or call
    statement: Node
    machine: Machine | None


@dataclass
class Vagrantfile:
    """The model: every reader (lint, doctor, the Django checks) asks it, nothing parses again."""

    source: Source
    tree: Tree
    configure_vars: list[str] = field(default_factory=list)
    machines: list[Machine] = field(default_factory=list)
    folders: list[SyncedFolder] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)
    providers: list[Provider] = field(default_factory=list)
    winnfsd: list[Statement] = field(default_factory=list)
    plugins: list[Statement] = field(default_factory=list)
    boxes: list[Statement] = field(default_factory=list)  # `config.vm.box = ...`
    chains: list[tuple[Node, Node]] = field(default_factory=list)  # (root receiver, namespace) of config chains
    _machines_by_block: dict[tuple[int, int, str], Machine] = field(default_factory=dict)
    _scope_names: dict[tuple[int, int, str], set[str]] = field(default_factory=dict)
    _bound: dict[int, set[str]] = field(default_factory=dict)  # by index in _blocks (-1: the file)
    _block_nodes: list[Node] = field(default_factory=list)  # every block and scope, from the one query
    _assigned_nodes: list[Node] = field(default_factory=list)  # names assigned (a = ..., a += ..., a, b = ..., => a)
    _assignment_nodes: list[Node] = field(default_factory=list)  # `name = value` and `NAME = value`
    _assignments: dict[tuple[int, int, str], list[Node]] = field(default_factory=dict)

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @cached_property
    def syntax_errors(self) -> list[Node]:
        """ERROR and MISSING nodes, in source order (none when the file parses)."""
        if not self.root.has_error:
            return []
        found = syntax.captures("(ERROR) @e (MISSING) @m", self.root)
        return sorted([*found.get("e", []), *found.get("m", [])], key=lambda n: n.start_byte)

    @cached_property
    def quote(self) -> str:
        """The quote the file uses most for strings, for text a fix adds."""
        code = self.source.code
        return "'" if code.count(b"'") > 2 * code.count(b'"') else '"'

    @property
    def provider_names(self) -> tuple[str, ...]:
        """Providers configured with ``config.vm.provider`` (literal names), in order."""
        return tuple(dict.fromkeys(p.name for p in self.providers if isinstance(p.name, str)))

    @property
    def nfs_folders(self) -> list[SyncedFolder]:
        """Synced folders that are NFS and not disabled, as far as literals tell."""
        return [f for f in self.folders if f.nfs and f.disabled is False]

    def static_ips(self) -> list[tuple[int, str]]:
        """(line, address) of every private network with a literal ``ip:``."""
        return [
            (n.line, n.option("ip"))
            for n in self.networks
            if n.kind == "private_network" and isinstance(n.option("ip"), str)
        ]

    def box(self, machine: Machine | None) -> Any:
        """The ``config.vm.box`` that applies to ``machine`` (its define block's over the top level's, a
        later one over an earlier one): the name, None when unset, COMPUTED when not a literal."""
        value: Any = None
        for own in (False, True):
            for setting in self.boxes:
                if (setting.machine is not None) is own and self.applies(setting, machine):
                    value = literal(setting.node.child_by_field_name("right"))
        return value

    def machine_named(self, name: str) -> Machine | None:
        return next((m for m in self.machines if m.name == name), None)

    @cached_property
    def _blocks(self) -> tuple[list[tuple[int, int, str]], list[Node], list[int]]:
        """Every block and scope, sorted by start, and the index of the one enclosing each (-1: none).

        Blocks nest, so the innermost one around a byte is found by bisecting for the last block
        starting before it and climbing enclosing blocks until one holds it: a few steps, where
        walking up the tree from each of thousands of settings would cost a second on a big file.
        """
        nodes = self._block_nodes
        keys = [key(n) for n in nodes]
        parents: list[int] = []
        stack: list[int] = []
        for index, (_start, end, _) in enumerate(keys):
            while stack and keys[stack[-1]][1] < end:
                stack.pop()
            parents.append(stack[-1] if stack else -1)
            stack.append(index)
        return keys, nodes, parents

    def _innermost(self, node: Node) -> int:
        keys, _, parents = self._blocks
        at = bisect.bisect_right(keys, (node.start_byte, 1 << 62, "")) - 1
        while at >= 0 and not (keys[at][0] <= node.start_byte and node.end_byte <= keys[at][1]):
            at = parents[at]
        return at

    def machine_of(self, node: Node) -> Machine | None:
        """The define block ``node`` stands in, innermost first; None at the top level."""
        if not self._machines_by_block:
            return None
        keys, _, parents = self._blocks
        at = self._innermost(node)
        while at >= 0:
            if (found := self._machines_by_block.get(keys[at])) is not None and keys[at] != key(node):
                return found
            at = parents[at]
        return None

    def machine_names(self) -> list[Machine | None]:
        """The machines settings can apply to: each define, or the one default machine when there is none."""
        return list(self.machines) if self.machines else [None]

    def applies(self, setting: Setting | Statement, machine: Machine | None) -> bool:
        """A top-level setting applies to every machine; a define block's only to its own."""
        return setting.machine is None or (machine is not None and key(setting.machine.call) == key(machine.call))

    # --- names in scope ---------------------------------------------------------------------

    def _scope_of(self, node: Node) -> Node:
        for parent, _ in syntax.ancestors(node):
            if parent.type in _SCOPES:
                return parent
        return self.root

    def bound_names(self, node: Node) -> set[str]:
        """Local variable names visible at ``node``: parameters of enclosing blocks and methods, and
        every name assigned in the scope (Ruby binds a name from its assignment on; anywhere in the
        scope is close enough to never call a bound name unbound)."""
        at = self._innermost(node)
        cached = self._bound.get(at)
        if cached is None:
            cached = self._bound[at] = self._bound_in(self._blocks[1][at] if at >= 0 else self.root)
        return cached

    def _bound_in(self, innermost: Node) -> set[str]:
        """What :meth:`bound_names` finds for every node whose innermost block or scope is ``innermost``."""
        names: set[str] = set()
        for parent in (innermost, *(p for p, _ in syntax.ancestors(innermost))):
            if parent.type in _BLOCKS or parent.type in ("method", "singleton_method"):
                params = parent.child_by_field_name("parameters")
                if params is not None:
                    names |= _parameter_names(params)
            if parent.type in ("for",) and (pattern := parent.child_by_field_name("pattern")) is not None:
                names |= _identifiers(pattern)
            if parent.type in _SCOPES:
                names |= self._assigned_in(parent)
                break
        return names

    def _assigned_in(self, scope: Node) -> set[str]:
        cached = self._scope_names.get(key(scope))
        if cached is None:
            cached = {text(n) for n in self._in_scope(self._assigned_nodes, scope)}
            self._scope_names[key(scope)] = cached
        return cached

    def _in_scope(self, nodes: list[Node], scope: Node) -> list[Node]:
        return [
            n
            for n in nodes
            if scope.start_byte <= n.start_byte < scope.end_byte and key(self._scope_of(n)) == key(scope)
        ]

    def assignment_of(self, name_node: Node) -> Node | None:
        """The value last assigned to a local variable before ``name_node``, in its scope."""
        scope = self._scope_of(name_node)
        assignments = self._assignments.get(key(scope))
        if assignments is None:
            assignments = self._assignments[key(scope)] = self._in_scope(self._assignment_nodes, scope)
        name = text(name_node)
        before = [
            a
            for a in assignments
            if a.end_byte <= name_node.start_byte and text(a.child_by_field_name("left") or a) == name
        ]
        return before[-1].child_by_field_name("right") if before else None

    def configure_var_at(self, node: Node) -> str | None:
        """The block variable of the ``Vagrant.configure`` block around ``node``."""
        for parent, _ in syntax.ancestors(node):
            if parent.type in _BLOCKS and parent.parent is not None and _is_configure(parent.parent):
                params = parent.child_by_field_name("parameters")
                names = _positional_parameters(params) if params is not None else []
                return names[0] if names else None
        return None


def _is_configure(call: Node) -> bool:
    if call.type != "call":
        return False
    receiver, method = call.child_by_field_name("receiver"), call.child_by_field_name("method")
    return receiver is not None and text(receiver) == "Vagrant" and method is not None and text(method) == "configure"


def _positional_parameters(params: Node) -> list[str]:
    return [text(c) for c in params.named_children if c.type == "identifier"]


def _parameter_names(params: Node) -> set[str]:
    names = set()
    for child in params.named_children:
        if child.type == "identifier":
            names.add(text(child))
        elif child.type == "destructured_parameter":
            names |= _parameter_names(child)
        else:
            name = child.child_by_field_name("name")
            if name is not None:
                names.add(text(name))
    return names


def _identifiers(node: Node) -> set[str]:
    return {text(node)} if node.type == "identifier" else {n for c in node.named_children for n in _identifiers(c)}


def statement_of(node: Node) -> Node:
    """The whole statement ``node`` is part of: the outermost node below a statement list."""
    statement = node
    for parent, child in syntax.ancestors(node):
        statement = child
        if parent.type in _BODIES:
            return child
    return statement


# Vagrant's config namespaces: a chain through one of them is a setting (`config.vm.box`).
NAMESPACES = frozenset(
    [
        "vm",
        "ssh",
        "winrm",
        "winssh",
        "vagrant",
        "nfs",
        "package",
        "push",
        "trigger",
        "winnfsd",
        "hostmanager",
        "vbguest",
        "cache",
        "disksize",
        "proxy",
        "hostsupdater",
        "librarian_chef",
        "berkshelf",
        "omnibus",
        "env",
        "persistent_storage",
    ]
)

# One query finds everything the model needs; the rest of the tree is never walked in Python,
# which keeps a 40,000-line file well under a second.
_QUERY = (
    '(call method: (identifier) @name (#any-of? @name "configure" "define" "synced_folder" "network" "provider"))'
    " @call\n"
    "(call receiver: (call receiver: [(identifier) (constant)] method: (identifier) @ns"
    f" (#any-of? @ns {' '.join(f'{n!r}'.replace(chr(39), chr(34)) for n in sorted(NAMESPACES))})))\n"
    "[(do_block) (block) (lambda) (method) (singleton_method) (class) (module) (singleton_class) (for)] @block\n"
    "(assignment left: (identifier) @assigned) (operator_assignment left: (identifier) @assigned)\n"
    "(left_assignment_list (identifier) @assigned) (exception_variable (identifier) @assigned)\n"
    "(assignment left: [(identifier) (constant)]) @assignment\n"
)
_KINDS: dict[str, tuple[type[Setting], str]] = {
    "synced_folder": (SyncedFolder, "folders"),
    "network": (Network, "networks"),
    "provider": (Provider, "providers"),
}


def _block_names(call: Node) -> tuple[Node | None, list[str]]:
    block = call.child_by_field_name("block")
    params = block.child_by_field_name("parameters") if block is not None else None
    return block, (_positional_parameters(params) if params is not None else [])


def build(source: Source) -> Vagrantfile:
    """Parse a Vagrantfile's source into the model."""
    tree = syntax.parse(source.code)
    model = Vagrantfile(source, tree)
    found = syntax.captures(_QUERY, tree.root_node)
    model._block_nodes = found.get("block", [])
    model._assigned_nodes = found.get("assigned", [])
    model._assignment_nodes = found.get("assignment", [])
    calls = found.get("call", [])
    # Configure blocks and machines first, so that settings can be placed in them.
    for call in calls:
        method = call.child_by_field_name("method")
        name = text(method) if method is not None else ""
        if name == "configure" and _is_configure(call):
            _, names = _block_names(call)
            model.configure_vars.extend(names[:1])
        elif name == "define" and _through_vm(call):
            block, names = _block_names(call)
            positional, _, _ = syntax.call_arguments(call)
            machine = Machine(
                literal(positional[0]) if positional else COMPUTED, call, block, names[0] if names else None
            )
            model.machines.append(machine)
            if block is not None:
                model._machines_by_block[key(block)] = machine
    for call in calls:
        method = call.child_by_field_name("method")
        name = text(method) if method is not None else ""
        if name not in _KINDS or not _through_vm(call):
            continue
        positional, pairs, unknown = syntax.call_arguments(call)
        options = {}
        for pair in pairs:
            option = syntax.key_name(pair)
            if option is not None:
                value = pair.child_by_field_name("value")
                options[option] = Option(option, pair, value)
        kind, where = _KINDS[name]
        extra = {"block": call.child_by_field_name("block")} if kind is Provider else {}
        setting = kind(call, statement_of(call), model.machine_of(call), tuple(positional), options, unknown, **extra)
        getattr(model, where).append(setting)
    for ns in found.get("ns", []):
        inner = ns.parent  # config.winnfsd
        root = inner.child_by_field_name("receiver") if inner is not None else None
        outer = inner.parent if inner is not None else None  # config.winnfsd.uid
        if root is None or outer is None:
            continue
        model.chains.append((root, ns))
        parent = outer.parent
        if parent is None:
            continue
        assigned = parent.type in ("assignment", "operator_assignment") and syntax.same(
            parent.child_by_field_name("left"), outer
        )
        name = text(ns)
        if name == "winnfsd" and (assigned or parent.type != "call"):
            statement = parent if assigned else outer
            model.winnfsd.append(Statement(statement, statement_of(statement), model.machine_of(statement)))
        elif name == "vagrant" and assigned and text(outer.child_by_field_name("method") or outer) == "plugins":
            model.plugins.append(Statement(parent, statement_of(parent), model.machine_of(parent)))
        elif name == "vm" and assigned and text(outer.child_by_field_name("method") or outer) == "box":
            model.boxes.append(Statement(parent, statement_of(parent), model.machine_of(parent)))
    return model


def _through_vm(call: Node) -> bool:
    chain = syntax.receiver_chain(call)
    return len(chain) == 3 and text(chain[1]) == "vm"
