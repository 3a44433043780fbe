{{/*
An image reference from an `image` value block: [registry/]repository[:tag][@digest].
Usage: include "flowhelm.image" (list $image .Values.global)
*/}}
{{- define "flowhelm.image" -}}
{{- $img := index . 0 -}}
{{- $registry := (index . 1).imageRegistry -}}
{{- $ref := $img.repository -}}
{{- if $registry -}}{{- $ref = printf "%s/%s" (trimSuffix "/" $registry) $ref -}}{{- end -}}
{{- if $img.tag -}}{{- $ref = printf "%s:%s" $ref $img.tag -}}{{- end -}}
{{- if $img.digest -}}{{- $ref = printf "%s@%s" $ref $img.digest -}}{{- end -}}
{{- $ref -}}
{{- end -}}
