"""What the host has, gathered once per doctor run and apart from what the checks conclude from it.

One module per area: :mod:`.virtualbox` (VBoxManage, its VMs and their logs), :mod:`.windows`
(processes, sockets, firewall rules, PowerShell and registry answers), :mod:`.winnfsd` (the
vagrant-winnfsd plugin and its executable), :mod:`.exports` (the Linux/macOS NFS server's
exports). Every fact is read through ``ctx.host`` (the host-facts seam, faked in tests) and
cached with ``ctx.cached``, so two checks that read the same fact cost one program run.
"""
