"""Stand-in for the get-pip script that `ansible-test --venv` downloads.

ansible-test fetches its pip bootstrap from a host this machine cannot reach, and
looks in ~/.ansible/test/cache/ first; tests/harness/sanity.sh puts this file
there. It is run with the arguments meant for get-pip (package pins and pip
options): it installs the interpreter's bundled pip with ensurepip, then the
pinned packages from the package index.
"""

import subprocess
import sys

_GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main(argv):
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
    options = [arg for arg in argv if arg not in _GET_PIP_ONLY]
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet"] + options, check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
