{{/*
The ServiceAccount name a workload's pods run as: with `create`, the account's `name` or the
workload's own (`default`); without, the existing account named, or "" for the namespace's
`default` (serviceAccountName is then left out).
Usage: include "flowhelm.serviceAccountName" (list $cfg.serviceAccount $default)
*/}}
{{- define "flowhelm.serviceAccountName" -}}
{{- $sa := index . 0 -}}
{{- if $sa.create }}{{ $sa.name | default (index . 1) }}{{ else }}{{ $sa.name }}{{ end -}}
{{- end -}}

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
    {{- $w.shared.labels }}
    app.kubernetes.io/component: {{ $w.q.component }}
  {{- with merge (dict) ($sa.annotations | default dict) $w.shared.annotations }}
  annotations: {{ toJson . }}
  {{- end }}
automountServiceAccountToken: {{ $sa.automount | default false }}
{{- end -}}
