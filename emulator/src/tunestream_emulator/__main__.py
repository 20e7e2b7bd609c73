"""``python -m tunestream_emulator``: the ``tunestream-emulator`` command."""

from tunestream_emulator.cli import main

if __name__ == "__main__":
    main()
