from impasto.cli.main import main

main()
