from tunestream.cli import main

main()
