from vagrantkit.launch import main

main()
