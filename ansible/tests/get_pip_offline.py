# Stand-in for ansible-test's pip bootstrap script (get-pip.py from ci-files.testing.ansible.com),
# used only when that host cannot be reached: ansible-test runs this file inside each sanity
# test's new virtual environment with pip's install arguments. It installs pip from the wheel
# bundled with the interpreter (ensurepip), then installs what was asked with that pip, from the
# ordinary package index.
import ensurepip
import os
import subprocess
import sys

# get-pip.py's own options, not pip's: ensurepip's setuptools stays, ansible-test ignores it.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
# ensurepip points PIP_CONFIG_FILE at /dev/null in this process; the install below must read
# the machine's pip configuration (index, certificates) again.
env = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade"] + args, env=env))
