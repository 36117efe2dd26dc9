"""fastdeid's version (the same as pyproject.toml's): `fastdeid.__version__`, `fastdeid --version`,
and what a Dask worker holds against the client's (a cluster runs one version)."""

VERSION = "0.1.0"
