"""`vagrantkit doctor`: checks the host and the Vagrantfile, with the exact fix for every problem."""
