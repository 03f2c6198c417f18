"""Run the Bot API stand-in as its own process: `python -m bench.standin --delay 0.05`.

It prints its URL on the first line of stdout and serves until killed.
"""

import argparse
import signal
import sys

from genbot.testing.bot_api import BotApiStandIn


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.05, help="seconds before each answer")
    args = parser.parse_args()
    standin = BotApiStandIn(delay_s=args.delay)
    print(standin.url, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    standin.server.serve_forever(0.2)


if __name__ == "__main__":
    main()
