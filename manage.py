#!/usr/bin/env python3
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ganapati.settings")
    if sys.argv[1:2] == ["makemigrations"]:
        # Writes code, serves nothing: on a fresh clone (no .env, no secret) it runs with the
        # development defaults unless DEBUG is set; production settings still require a key.
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
