"""A real single-node Kubernetes for flowhelm's tests, built from the upstream sources.

`scripts/cluster` runs this package (see cluster/README.md for what each module does).
"""
