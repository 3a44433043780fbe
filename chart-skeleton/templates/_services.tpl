{{/*
A workload's Service: one port per protocol it serves, named after the protocol and announced by
its appProtocol, and with monitoring one per metrics port. The gateway's `service` values set
the type, the port numbers clients use (targets stay Jina's), annotations and, only for the
types that take them, node ports and source ranges. `headless` gives a StatefulSet's governing
Service "<name>-headless" instead: no cluster IP, every pod's address published, Ready or not,
so that each pod has its DNS name; traffic goes through the ordinary Service. `pods` gives
"<name>-pods", headless too but with Ready pods only: the name the gateway and heads resolve in
`loadBalancing` mode `jina`, one address per Ready pod for gRPC's round_robin.
A head's uses_before/after containers get a port each too (`extraPorts`), for the helm test.
Usage: include "flowhelm.service" (dict "w" $workload "headless" false "pods" false)
*/}}
{{- define "flowhelm.service" -}}
{{- $w := .w -}}
{{- $svc := $w.service | default dict -}}
{{- $noIP := or .headless .pods -}}
{{- $type := ternary "ClusterIP" ($svc.type | default "ClusterIP") $noIP -}}
{{- $nodePorts := ternary ($svc.nodePorts | default dict) dict (has $type (list "NodePort" "LoadBalancer")) -}}
apiVersion: v1
kind: Service
metadata:
  {{- $nameQ := $w.q.name }}
  {{- if .headless }}{{ $nameQ = printf "%s-headless" $w.name | quote }}{{ end }}
  {{- if .pods }}{{ $nameQ = printf "%s%s" $w.name $w.jina.balancing.podsSuffix | quote }}{{ end }}
  name: {{ $nameQ }}
  namespace: {{ $w.q.ns }}
  labels:
    {{- $w.labels }}
    app.kubernetes.io/component: {{ $w.q.component }}
    app: {{ $nameQ }}
  {{- with merge (dict) ($svc.annotations | default dict) $w.shared.annotations }}
  annotations: {{ toJson . }}
  {{- end }}
spec:
  type: {{ $type | quote }}
  {{- if $noIP }}
  clusterIP: None
  {{- end }}
  {{- if .headless }}
  publishNotReadyAddresses: true
  {{- end }}
  {{- if and (eq $type "LoadBalancer") $svc.loadBalancerSourceRanges }}
  loadBalancerSourceRanges: {{ toJson $svc.loadBalancerSourceRanges }}
  {{- end }}
  ports:
    {{- range $i, $p := $w.protocols }}
    {{- $target := add $w.jina.port $i }}
    - name: {{ $p | quote }}
      port: {{ index ($svc.ports | default dict) $p | default $target | int }}
      targetPort: {{ $target | int }}
      protocol: TCP
      appProtocol: {{ (index $w.jina.appProtocols $p) | quote }}
      {{- with index $nodePorts $p }}
      nodePort: {{ . | int }}
      {{- end }}
    {{- end }}
    {{- range (ternary list ($w.extraPorts | default list) $noIP) }}
    - name: {{ .name | quote }}
      port: {{ .port | int }}
      targetPort: {{ .port | int }}
      protocol: TCP
      appProtocol: {{ (index $w.jina.appProtocols (first $w.protocols)) | quote }}
    {{- end }}
    {{- range (ternary list $w.metricsPorts $noIP) }}
    - name: {{ .name | quote }}
      port: {{ .port | int }}
      targetPort: {{ .port | int }}
      protocol: TCP
    {{- end }}
  selector:
    app: {{ $w.q.name }}
    app.kubernetes.io/instance: {{ $w.q.release }}
{{- end -}}

{{/*
A ServiceMonitor scraping every metrics port of a workload's Service, with the serviceMonitor
values (labels for the Prometheus that selects it, interval, timeout, relabelings).
Usage: include "flowhelm.serviceMonitor" $workload
*/}}
{{- define "flowhelm.serviceMonitor" -}}
{{- $sm := .root.Values.serviceMonitor -}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .q.name }}
  namespace: {{ .q.ns }}
  labels:
    {{- .labels }}
    app.kubernetes.io/component: {{ .q.component }}
    {{- range $k, $v := $sm.labels }}
    {{ $k | quote }}: {{ $v | quote }}
    {{- end }}
  {{- with .shared.annotations }}
  annotations: {{ toJson . }}
  {{- end }}
spec:
  endpoints:
    {{- range .metricsPorts }}
    {{- $ep := dict "port" .name }}
    {{- with $sm.interval }}{{ $_ := set $ep "interval" . }}{{ end }}
    {{- with $sm.scrapeTimeout }}{{ $_ := set $ep "scrapeTimeout" . }}{{ end }}
    {{- with $sm.relabelings }}{{ $_ := set $ep "relabelings" . }}{{ end }}
    - {{ toJson $ep }}
    {{- end }}
  namespaceSelector:
    matchNames:
      - {{ .q.ns }}
  selector:
    matchLabels:
      app: {{ .q.name }}
      app.kubernetes.io/instance: {{ .q.release }}
{{- end -}}
