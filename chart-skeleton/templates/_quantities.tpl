{{/*
A storage quantity as the API server compares it: its value in bytes, as text, so that "1.5Gi"
and the "1536Mi" the API server stores for it are the same size. Quantities the schema's
pattern admits (a decimal number, then a binary or decimal suffix or an exponent); anything
else is returned as written.
Usage: include "flowhelm.bytes" "1.5Gi"
*/}}
{{- define "flowhelm.bytes" -}}
{{- $q := toString . -}}
{{- $num := regexFind "^[+]?([0-9]+[.]?[0-9]*|[.][0-9]+)" $q -}}
{{- $suffix := trimPrefix $num $q -}}
{{- $factors := dict
      "" "1" "k" "1e3" "M" "1e6" "G" "1e9" "T" "1e12" "P" "1e15" "E" "1e18"
      "Ki" "1024" "Mi" "1048576" "Gi" "1073741824" "Ti" "1099511627776"
      "Pi" "1125899906842624" "Ei" "1152921504606846976" -}}
{{- $factor := index $factors $suffix | default "" -}}
{{- if regexMatch "^[eE][+-]?[0-9]+$" $suffix }}{{ $factor = printf "1%s" $suffix }}{{ end -}}
{{- if and $num $factor -}}
{{- printf "%.0f" (ceil (mulf (float64 (trimPrefix "+" $num)) (float64 $factor))) -}}
{{- else -}}
{{- $q -}}
{{- end -}}
{{- end -}}
