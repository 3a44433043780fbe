{{/*
The gateway: it knows every executor's address (through heads for sharded executors) and the
graph, exactly as Jina's export passes them, with names and namespace taken from the release.
`addresses` (executor name → list of addresses) and `noReduce` are gathered by flow.yaml while
it renders the executors.
Usage: include "flowhelm.gateway" (dict "root" $ "shared" $shared "jina" $jina "addresses" $a
  "noReduce" $n "serviceMonitor" bool "fullname" $fullname "channel" gRPC channel options or {}
  "callees" "external" what it calls, for its NetworkPolicy  "version" its Jina version or "")
*/}}
{{- define "flowhelm.gateway" -}}
{{- $root := .root -}}
{{- $gw := $root.Values.gateway -}}
{{- $name := include "flowhelm.objname" (list .fullname "gateway" "" .jina.nameMax) -}}
{{- $protocols := $gw.protocols -}}
{{- $metrics := ternary (list (dict "name" "monitoring" "port" .jina.monitoringPort)) list $gw.monitoring -}}
{{- $ports := list -}}
{{- range $i, $p := $protocols }}{{ $ports = append $ports (dict "name" $p "port" (add $.jina.port $i)) }}{{ end -}}
{{- $container := dict
      "name" "gateway"
      "image" (include "flowhelm.image" (list $gw.image $root.Values.global))
      "pullPolicy" $gw.image.pullPolicy
      "args" (include "flowhelm.gatewayArgs" (dict "root" $root "addresses" .addresses "noReduce" .noReduce "jina" .jina "channel" .channel))
      "port" .jina.port
      "scheme" (first $protocols)
      "pingKind" "gateway"
      "resources" $gw.resources
      "secrets" true
      "ports" (concat $ports $metrics)
-}}
{{ include "flowhelm.workload" (dict
    "root" $root "shared" .shared "jina" .jina
    "name" $name
    "jinaName" "gateway"
    "podType" "GATEWAY"
    "shardId" ""
    "component" "gateway"
    "replicas" (int $gw.replicas)
    "cfg" $gw
    "env" $gw.env
    "containers" (list $container)
    "protocols" $protocols
    "metricsPorts" $metrics
    "serviceMonitor" .serviceMonitor
    "persistence" dict
    "service" $gw.service
    "account" $name "ownsAccount" true "version" .version
    "callers" list "callees" .callees "external" .external
) }}
{{- end -}}

{{/*
An external executor's addresses: one per host, `<scheme>[s]://host:port`, with one port for
all hosts or one per host.
Usage: include "flowhelm.externalAddresses" $x → JSON list
*/}}
{{- define "flowhelm.externalAddresses" -}}
{{- $ext := .external -}}
{{- $scheme := printf "%s%s" (first .protocols) (ternary "s" "" $ext.tls) -}}
{{- $ports := $ext.ports -}}
{{- $out := list -}}
{{- range $i, $h := $ext.hosts -}}
{{- $port := index $ports (min $i (sub (len $ports) 1)) -}}
{{- $out = append $out (printf "%s://%s:%v" $scheme $h (int $port)) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}
