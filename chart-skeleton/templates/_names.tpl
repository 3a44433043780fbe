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
An object name "<fullname>-<component><suffix>" of at most `max` characters (63 for Services and
workloads; 52 for StatefulSets, whose pods carry a "<name>-<10 characters>" label). A longer
name keeps its component and suffix and cuts the prefix, with a short hash of
"<fullname>-<component>" to keep releases apart: "<fullname cut>-<hash>-<component><suffix>";
only a component too long for any prefix is cut itself.
Usage: include "flowhelm.objname" (list $fullname $component $suffix $max)
*/}}
{{- define "flowhelm.objname" -}}
{{- $prefix := index . 0 -}}
{{- $component := index . 1 -}}
{{- $suffix := index . 2 -}}
{{- $max := int (index . 3) -}}
{{- $full := printf "%s-%s%s" $prefix $component $suffix -}}
{{- if le (len $full) $max -}}
{{- $full -}}
{{- else -}}
{{- $hash := printf "%s-%s" $prefix $component | sha256sum | trunc 6 -}}
{{- $tail := printf "%s-%s%s" $hash $component $suffix -}}
{{- $room := int (sub $max (add (len $tail) 1)) -}}
{{- if gt $room 0 -}}
{{- printf "%s-%s" (trunc $room $prefix | trimSuffix "-") $tail -}}
{{- else -}}
{{- /* The prefix's first letter keeps the name starting with a letter (Service names must). */ -}}
{{- $keep := int (sub $max (add (len $hash) (len $suffix) 2)) -}}
{{- printf "%s%s-%s%s" (trunc 1 $prefix) $hash (trunc $keep $component | trimSuffix "-") $suffix -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Usage: include "flowhelm.gatewayName" $ → the gateway's object name.
*/}}
{{- define "flowhelm.gatewayName" -}}
{{- $jina := include "flowhelm.jina" . | fromJson -}}
{{- include "flowhelm.objname" (list (include "flowhelm.fullname" .) "gateway" "" $jina.nameMax) -}}
{{- end -}}
