"""What a cluster installs on itself once the node runs: the API server's access to kubelets,
the default StorageClass, CoreDNS and metrics-server, written after the upstream addons
(cluster/addons/dns/coredns, metrics-server's manifests) with small CPU requests, since the
tests' pods share two cores with them.
"""

from kube import build, net

COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:{coredns}"
METRICS_IMAGE = "registry.k8s.io/metrics-server/metrics-server:{metrics}"

MANIFESTS = """
# `kubectl logs/exec` and `helm test --logs`: the API server calls the kubelet as kube-apiserver.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: kube-apiserver-kubelet-api-admin}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kubelet-api-admin}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver}}]
---
# Claims get a directory of the node (the controller-manager's host-path provisioner).
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {{storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: system:kube-router}}
rules:
  - apiGroups: [""]
    resources: [namespaces, pods, services, nodes, endpoints]
    verbs: [list, get, watch]
  - apiGroups: [networking.k8s.io]
    resources: [networkpolicies]
    verbs: [list, get, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, get, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: system:kube-router}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kube-router}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: system:kube-router}}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: coredns, namespace: kube-system}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: system:coredns}}
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: system:coredns}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:coredns}}
subjects: [{{kind: ServiceAccount, name: coredns, namespace: kube-system}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: coredns, namespace: kube-system}}
data:
  # The addon's Corefile without `forward`: nothing outside answers here, so other names fail
  # at once instead of after a timeout.
  Corefile: |
    .:53 {{
        errors
        health {{
            lameduck 5s
        }}
        ready
        kubernetes {domain} in-addr.arpa ip6.arpa {{
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
            ttl 30
        }}
        prometheus :9153
        cache 30
        loop
        reload
        loadbalance
    }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {{k8s-app: kube-dns}}
spec:
  replicas: 1
  selector:
    matchLabels: {{k8s-app: kube-dns}}
  template:
    metadata:
      labels: {{k8s-app: kube-dns}}
    spec:
      priorityClassName: system-cluster-critical
      serviceAccountName: coredns
      dnsPolicy: Default
      containers:
        - name: coredns
          image: {coredns_image}
          args: [-conf, /etc/coredns/Corefile]
          resources:
            requests: {{cpu: 10m, memory: 70Mi}}
            limits: {{memory: 170Mi}}
          ports:
            - {{name: dns, containerPort: 53, protocol: UDP}}
            - {{name: dns-tcp, containerPort: 53, protocol: TCP}}
            - {{name: metrics, containerPort: 9153, protocol: TCP}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{add: [NET_BIND_SERVICE], drop: [ALL]}}
          livenessProbe:
            httpGet: {{path: /health, port: 8080}}
            periodSeconds: 10
          readinessProbe:
            httpGet: {{path: /ready, port: 8181}}
            periodSeconds: 2
          volumeMounts:
            - {{name: config, mountPath: /etc/coredns, readOnly: true}}
      volumes:
        - name: config
          configMap: {{name: coredns}}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {{k8s-app: kube-dns}}
spec:
  selector: {{k8s-app: kube-dns}}
  clusterIP: {dns_ip}
  ports:
    - {{name: dns, port: 53, protocol: UDP}}
    - {{name: dns-tcp, port: 53, protocol: TCP}}
    - {{name: metrics, port: 9153, protocol: TCP}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: metrics-server, namespace: kube-system}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregated-metrics-reader
  labels:
    rbac.authorization.k8s.io/aggregate-to-admin: "true"
    rbac.authorization.k8s.io/aggregate-to-edit: "true"
    rbac.authorization.k8s.io/aggregate-to-view: "true"
rules:
  - apiGroups: [metrics.k8s.io]
    resources: [pods, nodes]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: system:metrics-server}}
rules:
  - apiGroups: [""]
    resources: [nodes/metrics]
    verbs: [get]
  - apiGroups: [""]
    resources: [pods, nodes]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: metrics-server-auth-reader, namespace: kube-system}}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: extension-apiserver-authentication-reader
subjects: [{{kind: ServiceAccount, name: metrics-server, namespace: kube-system}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: metrics-server:system:auth-delegator}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:auth-delegator}}
subjects: [{{kind: ServiceAccount, name: metrics-server, namespace: kube-system}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: system:metrics-server}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:metrics-server}}
subjects: [{{kind: ServiceAccount, name: metrics-server, namespace: kube-system}}]
---
apiVersion: v1
kind: Service
metadata:
  name: metrics-server
  namespace: kube-system
  labels: {{k8s-app: metrics-server}}
spec:
  selector: {{k8s-app: metrics-server}}
  ports:
    - {{name: https, port: 443, targetPort: https, protocol: TCP}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: metrics-server
  namespace: kube-system
  labels: {{k8s-app: metrics-server}}
spec:
  replicas: 1
  selector:
    matchLabels: {{k8s-app: metrics-server}}
  template:
    metadata:
      labels: {{k8s-app: metrics-server}}
    spec:
      priorityClassName: system-cluster-critical
      serviceAccountName: metrics-server
      containers:
        - name: metrics-server
          image: {metrics_image}
          # The kubelet's serving certificate is signed by the cluster's CA, but for its node
          # name and address only; metrics-server reaches it by address, as upstream documents
          # for test clusters. 15 s: the shortest resolution, so autoscalers react in tests.
          args: [--cert-dir=/tmp, --secure-port=10250, --kubelet-preferred-address-types=InternalIP,
                 --kubelet-insecure-tls, --metric-resolution=15s]
          resources:
            requests: {{cpu: 10m, memory: 50Mi}}
          ports:
            - {{name: https, containerPort: 10250, protocol: TCP}}
          readinessProbe:
            httpGet: {{path: /readyz, port: https, scheme: HTTPS}}
            periodSeconds: 5
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            runAsUser: 65534
            capabilities: {{drop: [ALL]}}
            seccompProfile: {{type: RuntimeDefault}}
          volumeMounts:
            - {{name: tmp, mountPath: /tmp}}
      volumes:
        - {{name: tmp, emptyDir: {{}}}}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {{name: v1beta1.metrics.k8s.io}}
spec:
  group: metrics.k8s.io
  version: v1beta1
  service: {{name: metrics-server, namespace: kube-system}}
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 100
  versionPriority: 100
"""


def versions():
    return dict(
        coredns=build.required_version("coredns", "github.com/coredns/coredns"),
        metrics=build.required_version("metrics-server", "sigs.k8s.io/metrics-server"),
    )


def images():
    """{built image: [references the addons name]}"""
    v = versions()
    return {
        "coredns": [COREDNS_IMAGE.format(**v)],
        "metrics-server": [METRICS_IMAGE.format(**v)],
        "pause": [f"registry.k8s.io/pause:{build.PAUSE_VERSION}"],
    }


# Custom resources the chart renders whose definitions come from an upstream module: the API
# server then judges those objects as any other (KEDA's operator does not run here).
CRDS = ("scaledobjects.keda.sh",)


def manifests():
    v = versions()
    own = MANIFESTS.format(
        domain=net.CLUSTER_DOMAIN,
        dns_ip=net.DNS_SERVICE_IP,
        coredns_image=COREDNS_IMAGE.format(**v),
        metrics_image=METRICS_IMAGE.format(**v),
    )
    with open(build.keda_crd()) as f:
        return own + "\n---\n" + f.read()
