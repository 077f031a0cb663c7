from trialmatch.cli.app import main

main()
