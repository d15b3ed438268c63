from vagrantkit.cli import main

main()
