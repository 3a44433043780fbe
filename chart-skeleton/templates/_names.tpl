{{/*
Usage: include "flowhelm.name" $ → the chart name, or nameOverride.
*/}}
{{- define "flowhelm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Usage: include "flowhelm.fullname" $ → "<release>-<chart>", the prefix of every object name
(Helm's fullname convention), or fullnameOverride.
*/}}
{{- define "flowhelm.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Base object name of a component: "<fullname>-<dns>". When longer than `limit` (63 minus the
longest suffix the component gets, e.g. "-head" or "-2-websocket"), it is cut and a hash of the
full name is appended, so names stay valid and distinct for any release name.
Usage: include "flowhelm.objname" (list fullname dns limit)
*/}}
{{- define "flowhelm.objname" -}}
{{- $base := printf "%s-%s" (index . 0) (index . 1) -}}
{{- $limit := int (index . 2) -}}
{{- if gt (len $base) $limit -}}
{{- printf "%s-%s" ($base | trunc (int (sub $limit 9)) | trimSuffix "-") ($base | sha256sum | trunc 8) -}}
{{- else -}}
{{- $base -}}
{{- end -}}
{{- end -}}

{{/*
Usage: include "flowhelm.gatewayName" $ → the gateway's object name.
*/}}
{{- define "flowhelm.gatewayName" -}}
{{- $jina := include "flowhelm.jina" . | fromJson -}}
{{- include "flowhelm.objname" (list (include "flowhelm.fullname" .) "gateway" $jina.baseNameMax) -}}
{{- end -}}
