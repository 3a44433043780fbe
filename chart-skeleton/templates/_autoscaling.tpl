{{/*
A workload's HorizontalPodAutoscaler (autoscaling/v2): `minReplicas` to `maxReplicas` pods,
keeping average CPU and/or memory use at their targets (in percent of the requests), with the
`behavior` given. With it, the workload renders no `replicas` (the autoscaler owns the count).
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
  {{- with $w.shared.annotations }}
  annotations: {{ toJson . }}
  {{- end }}
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
  {{- with $metrics }}
  metrics: {{ toJson . }}
  {{- end }}
  {{- with $as.behavior }}
  behavior: {{ toJson . }}
  {{- end }}
{{- end -}}
