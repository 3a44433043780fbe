{{/*
A workload's HorizontalPodAutoscaler (autoscaling/v2): `minReplicas` to `maxReplicas` pods,
keeping average CPU and/or memory use at their targets (in percent of the requests) and the
`metrics` listed, with the `behavior` given. Its annotation records the `replicas` value of the revision (see
flowhelm.replicas).
Usage: include "flowhelm.autoscaler" (dict "w" $workload "kind" "Deployment"|"StatefulSet")
*/}}
{{- define "flowhelm.autoscaler" -}}
{{- $w := .w -}}
{{- $as := $w.cfg.autoscaling -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $w.q.name }}
  namespace: {{ $w.q.ns }}
  labels:
    {{- $w.labels }}
    app.kubernetes.io/component: {{ $w.q.component }}
  annotations: {{ merge (dict (include "flowhelm.replicasAnnotation" .) (toString (int $w.replicas))) ($w.shared.annotations | default dict) | toJson }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: {{ .kind | quote }}
    name: {{ $w.q.name }}
  {{- /* 0 is KEDA's alone (see autoscaling.keda); without KEDA served, one pod stays. */}}
  minReplicas: {{ max 1 (int $as.minReplicas) }}
  maxReplicas: {{ int $as.maxReplicas }}
  {{- $metrics := list }}
  {{- range $resource, $target := dict "cpu" $as.targetCPUUtilizationPercentage "memory" $as.targetMemoryUtilizationPercentage }}
  {{- if gt (int $target) 0 }}
  {{- $target := dict "type" "Utilization" "averageUtilization" (int $target) }}
  {{- $metrics = append $metrics (dict "type" "Resource" "resource" (dict "name" $resource "target" $target)) }}
  {{- end }}
  {{- end }}
  {{- with concat $metrics ($as.metrics | default list) }}
  metrics: {{ toJson . }}
  {{- end }}
  {{- with $as.behavior }}
  behavior: {{ toJson . }}
  {{- end }}
{{- end -}}

{{/*
The annotation on a HorizontalPodAutoscaler or ScaledObject that records the revision's `replicas` value.
Usage: include "flowhelm.replicasAnnotation" .
*/}}
{{- define "flowhelm.replicasAnnotation" -}}flowhelm/replicas{{- end -}}

{{/*
A workload's `spec.replicas`. Helm's patch turns a count the last revision rendered and this one
omits into `replicas: null`, which the API server defaults to 1 pod, so a count is always
rendered, and it is the live one wherever that must win:
- autoscaled: the live count, which is the autoscaler's (on install, `replicas` within
  minReplicas..maxReplicas);
- the upgrade that turns the autoscaler off with `replicas` as it was (the autoscaler's
  annotation records it): the live count, which the autoscaler had reached;
- otherwise `replicas`.
The namespace's autoscalers (HorizontalPodAutoscalers, and ScaledObjects where KEDA is served)
are listed once per render (cached in `shared`), so a workload
without one costs no request. `helm template` sees no cluster: it renders the install case.
Usage: include "flowhelm.replicas" (dict "w" $workload "kind" "Deployment"|"StatefulSet")
*/}}
{{- define "flowhelm.replicas" -}}
{{- $w := .w -}}
{{- $as := $w.cfg.autoscaling -}}
{{- $want := int $w.replicas -}}
{{- $ns := $w.root.Release.Namespace -}}
{{- if not (hasKey $w.shared "autoscaled") -}}
{{- $recorded := dict -}}
{{- $autoscalers := (lookup "autoscaling/v2" "HorizontalPodAutoscaler" $ns "").items | default list -}}
{{- if $w.shared.keda -}}
{{- $autoscalers = concat $autoscalers ((lookup "keda.sh/v1alpha1" "ScaledObject" $ns "").items | default list) -}}
{{- end -}}
{{- range $autoscalers -}}
{{- $_ := set $recorded .metadata.name (dig "metadata" "annotations" (include "flowhelm.replicasAnnotation" .) "" . | toString) -}}
{{- end -}}
{{- $_ := set $w.shared "autoscaled" $recorded -}}
{{- end -}}
{{- $recorded := index $w.shared.autoscaled $w.name | default "" -}}
{{- $liveCount := "" -}}
{{- if or $as.enabled (eq $recorded (toString $want)) -}}
{{- $live := lookup "apps/v1" .kind $ns $w.name | default dict -}}
{{- $liveCount = dig "spec" "replicas" "" $live | toString -}}
{{- end -}}
{{- if $as.enabled -}}
{{- ternary $liveCount (max (int $as.minReplicas) (min $want (int $as.maxReplicas))) (ne $liveCount "") -}}
{{- else -}}
{{- ternary $liveCount $want (ne $liveCount "") -}}
{{- end -}}
{{- end -}}

{{/*
A workload's KEDA ScaledObject, in place of the HorizontalPodAutoscaler (KEDA makes one of its
own, `keda-hpa-<name>`): `minReplicas` (0 allowed) to `maxReplicas` pods, on a Prometheus query
of Jina's own metrics (`keda.metric`, per pod) or the user's `keda.query`, beside the CPU and
memory targets. The queries read what the workload's ServiceMonitor scrapes, so they select the
`namespace` and `service` labels the Prometheus Operator gives each series. Its annotation
records the `replicas` value of the revision, as the autoscaler's does.
Usage: include "flowhelm.scaledObject" (dict "w" $workload "kind" "Deployment"|"StatefulSet")
*/}}
{{- define "flowhelm.scaledObject" -}}
{{- $w := .w -}}
{{- $as := $w.cfg.autoscaling -}}
{{- $k := $as.keda -}}
{{- $triggers := list -}}
{{- range $resource, $target := dict "cpu" $as.targetCPUUtilizationPercentage "memory" $as.targetMemoryUtilizationPercentage }}
{{- if gt (int $target) 0 }}
{{- $triggers = append $triggers (dict "type" $resource "metricType" "Utilization" "metadata" (dict "value" (toString (int $target)))) }}
{{- end }}
{{- end }}
{{- $query := $k.query -}}
{{- if and $k.metric (not $w.metricsPorts) -}}
{{- fail (printf (print "autoscaling.keda.metric %q of %s (workload %s) reads Jina's metrics, which it serves only "
      "with monitoring: set its monitoring to true, or use autoscaling.keda.query") $k.metric $w.jinaName $w.name) -}}
{{- end -}}
{{- if and (not $query) $k.metric -}}
{{- $series := printf "%s{namespace=%s,service=%s}" (index $w.jina.metrics $k.metric) (toJson $w.root.Release.Namespace) (toJson $w.name) -}}
{{- $query = printf "sum(rate(%s[%s]))" $series $k.window -}}
{{- end -}}
{{- if $query -}}
{{- $address := $w.root.Values.global.keda.prometheusAddress -}}
{{- if not $address -}}
{{- fail (printf (print "autoscaling.keda of %s (workload %s) scales on a Prometheus query: set global.keda.prometheusAddress "
      "to the Prometheus that scrapes the workloads (e.g. http://prometheus-operated.monitoring.svc:9090)") $w.jinaName $w.name) -}}
{{- end -}}
{{- $meta := dict "serverAddress" $address "query" $query "threshold" (toString $k.target) -}}
{{- with toString $k.activationTarget }}{{ $_ := set $meta "activationThreshold" . }}{{ end -}}
{{- $triggers = append $triggers (dict "type" "prometheus" "metricType" "AverageValue" "metadata" $meta) -}}
{{- end -}}
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: {{ $w.q.name }}
  namespace: {{ $w.q.ns }}
  labels:
    {{- $w.labels }}
    app.kubernetes.io/component: {{ $w.q.component }}
  annotations: {{ merge (dict (include "flowhelm.replicasAnnotation" .) (toString (int $w.replicas))) ($w.shared.annotations | default dict) | toJson }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: {{ .kind | quote }}
    name: {{ $w.q.name }}
  minReplicaCount: {{ int $as.minReplicas }}
  maxReplicaCount: {{ int $as.maxReplicas }}
  pollingInterval: {{ int $k.pollingInterval }}
  cooldownPeriod: {{ int $k.cooldownPeriod }}
  {{- with $as.behavior }}
  advanced: {{ dict "horizontalPodAutoscalerConfig" (dict "behavior" .) | toJson }}
  {{- end }}
  triggers: {{ toJson $triggers }}
{{- end -}}
