"""`python -m service.cli`: the same command as `moderation`, for child processes started by `serve`."""

from service.cli import main

main()
