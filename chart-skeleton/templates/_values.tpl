{{/*
One executor's settings: executorDefaults with the executor's own block laid over it, maps
merged key by key (an empty default map is simply replaced) and `null` removing a key. Written
out because sprig's merge treats false, 0 and "" as missing, so a default would win over an
executor's explicit `monitoring: false`. Nested default maps are shared, not copied: templates
only read them. Sets `name` to the executor's key.
Usage: include "flowhelm.executor" (list $dst .Values.executorDefaults $own $key); fills $dst.
*/}}
{{- define "flowhelm.executor" -}}
{{- include "flowhelm.overlay" (list (index . 0) (index . 1) (index . 2)) -}}
{{- $_ := set (index . 0) "name" (index . 3) -}}
{{- end -}}

{{/*
Usage: include "flowhelm.overlay" (list $dst $base $over); fills $dst with $base under $over.
*/}}
{{- define "flowhelm.overlay" -}}
{{- $dst := index . 0 -}}
{{- $base := index . 1 -}}
{{- /* A shallow copy (dst is empty, so sprig's merge only copies keys, falses included). */ -}}
{{- $_ := merge $dst $base -}}
{{- range $k, $v := index . 2 -}}
{{- $b := index $base $k -}}
{{- if kindIs "invalid" $v -}}
{{- $_ := unset $dst $k -}}
{{- else if and (kindIs "map" $v) (kindIs "map" $b) $b -}}
{{- $sub := dict -}}
{{- include "flowhelm.overlay" (list $sub $b $v) -}}
{{- $_ := set $dst $k $sub -}}
{{- else -}}
{{- $_ := set $dst $k $v -}}
{{- end -}}
{{- end -}}
{{- end -}}
