{{/*
Every render-time check the values schema cannot make, with a message naming the values key;
the first that fails stops the render.
Usage: include "flowhelm.validateValues" (dict "root" $ "executors" $merged)
*/}}
{{- define "flowhelm.validateValues" -}}
{{- range $x := .executors }}
{{- $key := printf "executors.%s" $x.name }}
{{- if and (not $x.external.enabled) (not $x.image.repository) }}
{{- fail (printf "%s.image.repository is empty: the Flow's jinaai+docker:// image is resolved by Jina Hub; set the image it resolves to" $key) }}
{{- end }}
{{- range $field := list "usesWith" "usesMetas" }}
{{- include "flowhelm.validateJsonText" (list (index $x $field) (printf "%s.%s" $key $field)) }}
{{- end }}
{{- if and (toString $x.gpus) (hasKey ($x.resources.limits | default dict) "nvidia.com/gpu") }}
{{- fail (printf "%s.resources.limits.nvidia.com/gpu and %s.gpus both set the GPU limit: set only %s.gpus (it also passes --gpus to Jina)" $key $key $key) }}
{{- end }}
{{- end }}
{{- $flow := .root.Values.flow }}
{{- range $field := list "conditions" "grpcMetadata" }}
{{- range $name, $text := index $flow $field }}
{{- include "flowhelm.validateJsonText" (list $text (printf "flow.%s.%s" $field $name)) }}
{{- end }}
{{- end }}
{{- with .root.Values.gateway }}
{{- if .enabled }}{{ include "flowhelm.validateJsonText" (list .usesWith "gateway.usesWith") }}{{ end }}
{{- end }}
{{- end -}}

{{/*
A JSON-text value must hold one JSON object (or be empty).
Usage: include "flowhelm.validateJsonText" (list $text "values.key")
*/}}
{{- define "flowhelm.validateJsonText" -}}
{{- $text := index . 0 -}}
{{- if $text -}}
{{- $parsed := fromJson $text -}}
{{- if and (eq (len $parsed) 1) (hasKey $parsed "Error") -}}
{{- fail (printf "%s must be the JSON text of one object, e.g. '{\"batch_size\": 32}': %s" (index . 1) $parsed.Error) -}}
{{- end -}}
{{- end -}}
{{- end -}}
