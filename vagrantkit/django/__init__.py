"""Static analysis of a Django project for `vagrantkit doctor`.

Nothing here imports or runs the project: Python files are parsed with :mod:`ast`, configuration
files are read as text, and host facts (the guest's mount table) come in through arguments that
tests replace. The doctor's ``django`` checks (``vagrantkit/doctor/checks/django.py``) turn these
results into check results.
"""
