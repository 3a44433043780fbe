{{/*
An image reference from an `image` value block: [registry/]repository[:tag][@digest], with
global.imageRegistry replacing the registry (mode `replace`) or put in front of it (`prefix`).
Usage: include "flowhelm.image" (list $image .Values.global)
*/}}
{{- define "flowhelm.image" -}}
{{- $img := index . 0 -}}
{{- $global := index . 1 -}}
{{- $registry := $img.registry -}}
{{- with $global.imageRegistry -}}
{{- $registry = ternary (trimSuffix "/" .) (printf "%s/%s" (trimSuffix "/" .) $img.registry | trimSuffix "/") (eq $global.imageRegistryMode "replace") -}}
{{- end -}}
{{- $ref := $img.repository -}}
{{- if $registry -}}{{- $ref = printf "%s/%s" $registry $ref -}}{{- end -}}
{{- if $img.tag -}}{{- $ref = printf "%s:%s" $ref $img.tag -}}{{- end -}}
{{- if $img.digest -}}{{- $ref = printf "%s@%s" $ref $img.digest -}}{{- end -}}
{{- $ref -}}
{{- end -}}
