"""Prints the Python package folder of an install prefix, relative to it."""
import sys
import sysconfig

prefix = sys.argv[1].rstrip("/")
version = f"python{sys.version_info.major}.{sys.version_info.minor}"
if "deb_system" in sysconfig.get_scheme_names():
    print("lib/python3/dist-packages" if prefix == "/usr" else f"lib/{version}/dist-packages")
else:
    print(sysconfig.get_path("platlib", "posix_prefix", {"platbase": "", "base": ""}).lstrip("/"))
