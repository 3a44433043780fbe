"""The pod runner behind `scripts/cluster`: Kubernetes pods as real processes, for tests."""
