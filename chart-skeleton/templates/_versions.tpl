{{/*
Which Jina version each workload runs, for the render-time check and the version labels. Jina's
own images (the gateway's, every head's, BaseExecutor executors' and uses_before/after
containers') carry it in their tags (`3.34.0-py311-standard`, `jina.tagVersion`); an executor's
own image says it through `jinaVersion`. Workloads built on different Jina versions may not
understand each other, so a render that mixes them is refused unless
`global.jinaVersionCheck` is false.
*/}}

{{/*
Usage: include "flowhelm.tagVersion" (list $tag $jina) → "3.34.0", or "" for a tag of another
shape (`latest`, none)
*/}}
{{- define "flowhelm.tagVersion" -}}
{{- regexFind (index . 1).tagVersion (index . 0) | trimSuffix "-" -}}
{{- end -}}

{{/*
Record that values key `key` names Jina version `version` (nothing for "").
Usage: include "flowhelm.noteVersion" (list $versions $version $key); $versions: version → {key: true}
*/}}
{{- define "flowhelm.noteVersion" -}}
{{- $versions := index . 0 -}}
{{- $version := index . 1 -}}
{{- if $version -}}
{{- $keys := index $versions $version | default dict -}}
{{- $_ := set $keys (index . 2) true -}}
{{- $_ := set $versions $version $keys -}}
{{- end -}}
{{- end -}}

{{/*
The values key that sets `path` of executor `name`: its own block's when the block sets it,
else executorDefaults'.
Usage: include "flowhelm.executorKey" (list $name $own "head.image.tag")
*/}}
{{- define "flowhelm.executorKey" -}}
{{- $node := index . 1 -}}
{{- range $part := splitList "." (index . 2) }}{{ if kindIs "map" $node }}{{ $node = index $node $part }}{{ else }}{{ $node = "" }}{{ end }}{{ end -}}
{{- if $node }}executors.{{ index . 0 }}.{{ index . 2 }}{{ else }}executorDefaults.{{ index . 2 }}{{ end -}}
{{- end -}}

{{/*
Note the Jina versions of one executor's workloads (`x` merged, `own` its block) and set
`x.version` (its shards') and `x.headVersion` (its head's), "" where unknown.
Usage: include "flowhelm.executorVersions" (dict "x" $x "own" $own "versions" $versions "jina" $jina)
*/}}
{{- define "flowhelm.executorVersions" -}}
{{- $x := .x -}}
{{- $own := .own -}}
{{- $version := $x.jinaVersion | default "" -}}
{{- $headVersion := "" -}}
{{- if not $x.external.enabled -}}
{{- if $version }}{{ include "flowhelm.noteVersion" (list .versions $version (include "flowhelm.executorKey" (list $x.name $own "jinaVersion"))) }}{{ end -}}
{{- if not $x.uses -}}
{{- $tag := include "flowhelm.tagVersion" (list $x.image.tag .jina) -}}
{{- include "flowhelm.noteVersion" (list .versions $tag (include "flowhelm.executorKey" (list $x.name $own "image.tag"))) -}}
{{- $version = $version | default $tag -}}
{{- end -}}
{{- if gt (int $x.shards) 1 -}}
{{- $headVersion = include "flowhelm.tagVersion" (list $x.head.image.tag .jina) -}}
{{- include "flowhelm.noteVersion" (list .versions $headVersion (include "flowhelm.executorKey" (list $x.name $own "head.image.tag"))) -}}
{{- range $side := .jina.sidecars -}}
{{- $s := index $x $side.key -}}
{{- if and $s.enabled (not $s.uses) -}}
{{- $version := include "flowhelm.tagVersion" (list $s.image.tag $.jina) -}}
{{- include "flowhelm.noteVersion" (list $.versions $version
      (include "flowhelm.executorKey" (list $x.name $own (printf "%s.image.tag" $side.key)))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ := set $x "version" $version -}}
{{- $_ := set $x "headVersion" $headVersion -}}
{{- end -}}

{{/*
Fail when the noted versions differ and the check is on, naming every key by version.
Usage: include "flowhelm.checkVersions" (list $versions $check)
*/}}
{{- define "flowhelm.checkVersions" -}}
{{- $versions := index . 0 -}}
{{- if and (gt (len $versions) 1) (index . 1) -}}
{{- $parts := list -}}
{{- range $v := keys $versions | sortAlpha }}{{ $parts = append $parts (printf "%s (%s)" $v (keys (index $versions $v) | sortAlpha | join ", ")) }}{{ end -}}
{{- fail (printf (print "Jina images and jinaVersion values name different Jina versions: %s. "
      "Build the gateway, heads and executors on one Jina version (and set each executor's jinaVersion to it), "
      "or set global.jinaVersionCheck=false to render anyway; "
      "helm test then reports every workload whose version differs from the gateway's") (join "; " $parts)) -}}
{{- end -}}
{{- end -}}
