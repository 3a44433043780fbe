{{/*
A ServiceAccount created for a workload `w` (the dict flowhelm.workload got), named `name`.
Usage: include "flowhelm.serviceAccount" (dict "w" $w "name" $name)
*/}}
{{- define "flowhelm.serviceAccount" -}}
{{- $w := .w -}}
{{- $sa := $w.cfg.serviceAccount -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .name | quote }}
  namespace: {{ $w.q.ns }}
  labels:
    {{- $w.labels }}
    app.kubernetes.io/component: {{ $w.q.component }}
  {{- with merge (dict) ($sa.annotations | default dict) $w.shared.annotations }}
  annotations: {{ toJson . }}
  {{- end }}
automountServiceAccountToken: {{ $sa.automount | default false }}
{{- end -}}
