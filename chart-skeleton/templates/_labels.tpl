{{/*
Usage: include "flowhelm.labels" $ → the labels of every object (YAML lines).
*/}}
{{- define "flowhelm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "flowhelm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "flowhelm.name" . }}
{{- with .Values.global.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
What every workload of a release shares, computed once per template file rather than per
object: the labels block and the chart name.
Usage: $shared := include "flowhelm.shared" $ | fromJson → {labels, name}
*/}}
{{- define "flowhelm.shared" -}}
{{- toJson (dict "labels" (include "flowhelm.labels" .) "name" (include "flowhelm.name" .)) -}}
{{- end -}}
