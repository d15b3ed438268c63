"""`vagrantkit init`: render a Vagrantfile from a template and the user's answers."""
