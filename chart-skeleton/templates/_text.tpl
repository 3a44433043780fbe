{{/*
Rendered YAML with the characters YAML readers refuse raw (DEL, the C1 controls, U+FFFE and
U+FFFF), fold (NEL, U+0085) or drop (the byte-order mark) written as \uXXXX escapes. Go's
toJson leaves them raw, and they can only stand inside its JSON strings, where the escape is the
same character; quote already escapes them. A few byte scans find nearly every render clean.
Usage: include "flowhelm.yamlText" (include "flowhelm.flow" .)
*/}}
{{- define "flowhelm.yamlText" -}}
{{- $text := . -}}
{{- if or (contains "\x7f" $text) (contains "\xc2" $text) (contains "\xef\xbb\xbf" $text) (contains "\xef\xbf\xbe" $text) (contains "\xef\xbf\xbf" $text) -}}
{{- range $code := concat (untilStep 127 160 1) (list 65279 65534 65535) -}}
{{- $text = replace (printf "%c" $code) (printf "\\u%04x" $code) $text -}}
{{- end -}}
{{- end -}}
{{- $text -}}
{{- end -}}
