{{/*
Usage: include "flowhelm.labels" $ → the labels of every object (YAML lines).
*/}}
{{- define "flowhelm.labels" -}}
helm.sh/chart: {{ (printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-") | quote }}
app.kubernetes.io/name: {{ include "flowhelm.name" . | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- with .Chart.AppVersion }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/part-of: {{ include "flowhelm.name" . | quote }}
{{- range $k, $v := .Values.global.commonLabels }}
{{ $k | quote }}: {{ $v | quote }}
{{- end }}
{{- end -}}

{{/*
What every workload of a release shares, computed once per template file rather than per
object: the labels block, and the namespace, release and chart names already quoted.
Usage: $shared := include "flowhelm.shared" $ | fromJson → {labels, nsQ, releaseQ, nameQ,
annotations (global.commonAnnotations)}; labels
come indented for metadata.labels (each line after a newline and four spaces), built once.
*/}}
{{- define "flowhelm.shared" -}}
{{- toJson (dict
      "labels" (include "flowhelm.labels" . | nindent 4)
      "nsQ" (.Release.Namespace | quote)
      "releaseQ" (.Release.Name | quote)
      "nameQ" (include "flowhelm.name" . | quote)
      "annotations" (.Values.global.commonAnnotations | default dict)
) -}}
{{- end -}}
