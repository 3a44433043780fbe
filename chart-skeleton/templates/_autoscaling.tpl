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
  minReplicas: {{ int $as.minReplicas }}
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
The annotation on a HorizontalPodAutoscaler that records the revision's `replicas` value.
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
The namespace's autoscalers are listed once per render (cached in `shared`), so a workload
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
{{- range (lookup "autoscaling/v2" "HorizontalPodAutoscaler" $ns "").items -}}
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
