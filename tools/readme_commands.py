"""The README's fenced `sh` commands, which CI runs verbatim in a fresh clone.

`python tools/readme_commands.py 1` prints the first (set-up and main job), `... 2` the second (tests)."""
import re, sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent/'README.md'

def readme_commands(path=README) -> list:
    "Every ```sh block of the README, in order."
    return re.findall(r'```sh\n(.*?)\n```', Path(path).read_text(), re.S)

if __name__ == '__main__':
    blocks = readme_commands()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if not 1 <= n <= len(blocks): sys.exit(f'usage: python {sys.argv[0]} N, with N in 1..{len(blocks)} (the README has {len(blocks)} sh blocks)')
    print(blocks[n - 1])
