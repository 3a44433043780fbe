{{/*
A workload's NetworkPolicy, from the Flow's graph. Ingress: its protocol ports from the pods
that call it in the Flow (`callers`: the object names of the gateway, or of the executor's head)
and the `helm test` Pod, or, for the entry point (`callers` empty), from `networkPolicy.clients`
and the test Pod; a head's uses_before/after ports (`extraPorts`) from the test Pod only; its
metrics ports from `networkPolicy.metrics`. With `networkPolicy.egress.enabled`, egress to
DNS (its ports, to any address unless `egress.dns` names peers), to the workloads it calls (`callees`: [{name, ports}]), to external executors' ports
(`external`: [{host, port}]; any address unless the host is an IPv4 literal: a NetworkPolicy
cannot name a host) and the `extra` rules.
Usage: include "flowhelm.networkPolicy" (dict "w" $workload "callers" $names "callees" $list "external" $list)
*/}}
{{- define "flowhelm.networkPolicy" -}}
{{- $w := .w -}}
{{- $np := $w.root.Values.networkPolicy -}}
{{- $release := $w.root.Release.Name -}}
{{- $egress := $np.egress.enabled -}}
{{- $ports := list -}}
{{- range $i, $_ := $w.protocols }}{{ $ports = append $ports (dict "protocol" "TCP" "port" (add $w.jina.port $i)) }}{{ end -}}
{{- /* The helm test Pod asks every workload for its Jina version. */ -}}
{{- $test := dict "podSelector" (dict "matchLabels" (dict "app.kubernetes.io/component" "test" "app.kubernetes.io/instance" $release)) -}}
{{- $from := list -}}
{{- range .callers }}{{ $from = append $from (dict "podSelector" (dict "matchLabels" (dict "app" . "app.kubernetes.io/instance" $release))) }}{{ end -}}
{{- if .callers }}
{{- $from = append $from $test }}
{{- else }}
{{- with $np.clients }}{{ $from = append . $test }}{{ end }}
{{- end -}}
{{- $ingress := list (ternary (dict "ports" $ports) (dict "from" $from "ports" $ports) (empty $from)) -}}
{{- with $w.extraPorts }}
{{- $side := list }}
{{- range . }}{{ $side = append $side (dict "protocol" "TCP" "port" (int .port)) }}{{ end }}
{{- $ingress = append $ingress (dict "from" (list $test) "ports" $side) }}
{{- end -}}
{{- with $w.metricsPorts }}
{{- $scrape := list }}
{{- range . }}{{ $scrape = append $scrape (dict "protocol" "TCP" "port" (int .port)) }}{{ end }}
{{- $ingress = append $ingress (ternary (dict "ports" $scrape) (dict "from" $np.metrics "ports" $scrape) (empty $np.metrics)) }}
{{- end -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $w.q.name }}
  namespace: {{ $w.q.ns }}
  labels:
    {{- $w.labels }}
    app.kubernetes.io/component: {{ $w.q.component }}
  {{- with $w.shared.annotations }}
  annotations: {{ toJson . }}
  {{- end }}
spec:
  podSelector:
    matchLabels:
      app: {{ $w.q.name }}
      app.kubernetes.io/instance: {{ $w.shared.releaseQ }}
  policyTypes: {{ toJson (ternary (list "Ingress" "Egress") (list "Ingress") $egress) }}
  ingress: {{ toJson $ingress }}
  {{- if $egress }}
  {{- /* DNS by port: where it runs differs (kube-dns pods, a node-local cache, OpenShift's 5353). */}}
  {{- $dnsPorts := list }}
  {{- range $np.egress.dnsPorts }}
  {{- $dnsPorts = append $dnsPorts (dict "protocol" "UDP" "port" (int .)) }}
  {{- $dnsPorts = append $dnsPorts (dict "protocol" "TCP" "port" (int .)) }}
  {{- end }}
  {{- $dns := dict "ports" $dnsPorts }}
  {{- with $np.egress.dns }}{{ $_ := set $dns "to" . }}{{ end }}
  {{- $rules := list $dns }}
  {{- range .callees }}
  {{- $pods := dict "podSelector" (dict "matchLabels" (dict "app" .name "app.kubernetes.io/instance" $release)) }}
  {{- $rules = append $rules (dict "to" (list $pods) "ports" .ports) }}
  {{- end }}
  {{- range .external }}
  {{- $rule := dict "ports" (list (dict "protocol" "TCP" "port" (int .port))) }}
  {{- if regexMatch "^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$" .host }}
  {{- $_ := set $rule "to" (list (dict "ipBlock" (dict "cidr" (printf "%s/32" .host)))) }}
  {{- end }}
  {{- $rules = append $rules $rule }}
  {{- end }}
  egress: {{ toJson (concat $rules $np.egress.extra) }}
  {{- end }}
{{- end -}}
