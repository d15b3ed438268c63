"""vagrantkit: fast, correct Vagrant synced folders, checked and measured."""

__version__ = "0.1.0"
