{{/*
A workload's PodDisruptionBudget: `minAvailable` or `maxUnavailable` (1 when both are empty),
selecting the workload's pods. flowhelm.workload renders it only for workloads of more than one
pod, or autoscaled ones: a budget on a single pod would block every node drain.
Usage: include "flowhelm.podDisruptionBudget" $workload
*/}}
{{- define "flowhelm.podDisruptionBudget" -}}
{{- $pdb := .cfg.podDisruptionBudget -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .q.name }}
  namespace: {{ .q.ns }}
  labels:
    {{- .labels }}
    app.kubernetes.io/component: {{ .q.component }}
  {{- with .shared.annotations }}
  annotations: {{ toJson . }}
  {{- end }}
spec:
  {{- $min := toString $pdb.minAvailable }}
  {{- if ne $min "" }}
  minAvailable: {{ include "flowhelm.intOrPercent" $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ include "flowhelm.intOrPercent" (ternary 1 $pdb.maxUnavailable (eq (toString $pdb.maxUnavailable) "")) }}
  {{- end }}
  selector:
    matchLabels:
      app: {{ .q.name }}
      app.kubernetes.io/instance: {{ .shared.releaseQ }}
{{- end -}}

{{/*
A count or a percentage as Kubernetes' IntOrString takes it: a number unquoted, "50%" quoted.
Usage: include "flowhelm.intOrPercent" $value
*/}}
{{- define "flowhelm.intOrPercent" -}}
{{- if kindIs "string" . }}{{ quote . }}{{ else }}{{ int . }}{{ end -}}
{{- end -}}
