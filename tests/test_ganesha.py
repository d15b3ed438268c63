"""The e2e's NFS shim: /etc/exports as Vagrant writes it, turned into a ganesha configuration that serves the same."""

from __future__ import annotations

import pytest

from tests.ganesha import Client, Export, GaneshaError, config, parse_exports, vagrant_blocks

# What Vagrant 2.3.4 wrote in the e2e (templates/nfs/exports_linux.erb), beside a line of the user's own.
EXPORTS = """\
/srv/mine 10.1.2.3(ro,sync)
# VAGRANT-BEGIN: 0 d8bc296e-2e37-4838-a8e3-80632806ec22
"/tmp/e2e project" 192.168.121.104(rw,no_subtree_check,all_squash,anonuid=0,anongid=0,fsid=2043925204)
# VAGRANT-END: 0 d8bc296e-2e37-4838-a8e3-80632806ec22
# VAGRANT-BEGIN: 1000 other-machine
"/home/dev/shop" 192.168.121.9(rw,no_subtree_check,all_squash,anonuid=1000,anongid=1000,fsid=7)
# VAGRANT-END: 1000 other-machine
"""


def test_only_vagrants_blocks_are_read_and_their_options_honoured() -> None:
    assert parse_exports(vagrant_blocks(EXPORTS, uid=0)) == [
        Export("/tmp/e2e project", (Client("192.168.121.104", "RW", "All_Squash", 0, 0),))
    ]
    assert [e.path for e in parse_exports(vagrant_blocks(EXPORTS))] == ["/tmp/e2e project", "/home/dev/shop"]


@pytest.mark.parametrize(
    ("options", "client"),
    [
        ("rw", Client("h", "RW", "Root_Squash")),  # exports(5): root_squash unless told otherwise
        ("", Client("h", "RO", "Root_Squash")),  # and read-only
        ("rw,no_root_squash", Client("h", "RW", "No_Root_Squash")),
        ("ro,all_squash,anonuid=501,anongid=20", Client("h", "RO", "All_Squash", 501, 20)),
    ],
)
def test_squash_and_access_follow_the_kernel_servers_defaults(options: str, client: Client) -> None:
    assert parse_exports(f'"/p" h({options})\n') == [Export("/p", (client,))]


def test_an_option_the_shim_cannot_honour_is_refused_not_ignored() -> None:
    with pytest.raises(GaneshaError, match="export option 'sec=krb5'"):
        parse_exports('"/p" h(rw,sec=krb5)\n')


def test_clients_of_one_folder_share_one_export() -> None:
    (export,) = parse_exports('"/p" a(rw)\n"/p" b(ro)\n')
    assert [c.address for c in export.clients] == ["a", "b"]


def test_the_configuration_serves_the_clients_named_only_over_tcp_without_an_attribute_cache() -> None:
    text = config(parse_exports(vagrant_blocks(EXPORTS, uid=0)))
    assert "Enable_UDP = false;" in text and "Enable_NLM = false;" in text and "Protocols = 3;" in text
    assert 'Path = "/tmp/e2e project";' in text
    assert "Access_Type = None;" in text  # nobody else
    assert (
        "CLIENT { Clients = 192.168.121.104; Access_Type = RW; Squash = All_Squash; Anonymous_Uid = 0; "
        "Anonymous_Gid = 0; }" in text
    )
    assert "Transports = TCP;" in text and "Attr_Expiration_Time = 0;" in text
