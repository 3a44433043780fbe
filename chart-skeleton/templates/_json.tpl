{{/*
A value as the JSON Jina reads (`--uses-with`, a `when` filter, a dict option): `toJson`, except
that a table whose only key is `$json` stands for the JSON value its text spells, written as is:
what helm cannot carry exactly (`null`, `1.0`, integers past 2^53). `key` is the values key, for
the message when such a table is not one.
Usage: include "flowhelm.json" (list $value "executors.x.usesWith")
*/}}
{{- define "flowhelm.json" -}}
{{- $text := toJson (index . 0) -}}
{{- /* Most values hold no `$json` table: one search, and toJson's text is the answer. */ -}}
{{- if contains "\"$json\":" $text -}}
{{- include "flowhelm.exactJson" . -}}
{{- else -}}
{{- $text -}}
{{- end -}}
{{- end -}}

{{/*
The walk behind flowhelm.json: maps and lists written key by key, `$json` tables as their text.
Usage: include "flowhelm.exactJson" (list $value "values.key")
*/}}
{{- define "flowhelm.exactJson" -}}
{{- $v := index . 0 -}}
{{- $key := index . 1 -}}
{{- if and (kindIs "map" $v) (hasKey $v "$json") -}}
{{- $text := index $v "$json" -}}
{{- if or (ne (len $v) 1) (not (kindIs "string" $text)) -}}
{{- fail (printf (print "%s: a table with a `$json` key stands for one JSON value, the text of `$json`, "
      "so `$json` must be a string and the table's only key (set the others to null)") $key) -}}
{{- end -}}
{{- $parsed := fromJson (printf "{\"v\": %s}" $text) -}}
{{- if or (hasKey $parsed "Error") (ne (len $parsed) 1) -}}
{{- fail (printf "%s.$json is not the text of one JSON value: %q" $key $text) -}}
{{- end -}}
{{- $text -}}
{{- else if kindIs "map" $v -}}
{{- $parts := list -}}
{{- range $k, $child := $v -}}
{{- $parts = append $parts (printf "%s:%s" (toJson $k) (include "flowhelm.exactJson" (list $child (printf "%s.%s" $key $k)))) -}}
{{- end -}}
{{- printf "{%s}" (join "," $parts) -}}
{{- else if kindIs "slice" $v -}}
{{- $parts := list -}}
{{- range $i, $child := $v -}}
{{- $parts = append $parts (include "flowhelm.exactJson" (list $child (printf "%s[%d]" $key $i))) -}}
{{- end -}}
{{- printf "[%s]" (join "," $parts) -}}
{{- else -}}
{{- toJson $v -}}
{{- end -}}
{{- end -}}
