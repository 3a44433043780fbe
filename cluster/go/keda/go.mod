module flowhelm.test/cluster/keda

go 1.26.8

// Only KEDA's CRDs (config/crd/bases) are read from this module: the ScaledObject kind the
// chart renders, installed on the cluster so the API server judges every ScaledObject.
require github.com/kedacore/keda/v2 v2.20.2
