{{/*
The gateway: it knows every executor's address (through heads for sharded executors) and the
graph, exactly as Jina's export passes them, with names and namespace taken from the release.
`addresses` (executor name → list of addresses) and `noReduce` are gathered by flow.yaml while
it renders the executors.
Usage: include "flowhelm.gateway" (dict "root" $ "shared" $shared "jina" $jina "addresses" $a "noReduce" $n)
*/}}
{{- define "flowhelm.gateway" -}}
{{- $root := .root -}}
{{- $gw := $root.Values.gateway -}}
{{- $name := include "flowhelm.objname" (list (include "flowhelm.fullname" $root) "gateway" .jina.baseNameMax) -}}
{{- $protocols := $gw.protocols -}}
{{- $scheme := first $protocols -}}
{{- $containerPorts := list -}}
{{- range $i, $p := $protocols }}{{ $containerPorts = append $containerPorts (dict "name" $p "port" (add $.jina.port $i)) }}{{ end -}}
{{- $container := dict
      "name" "gateway"
      "image" (include "flowhelm.image" (list $gw.image $root.Values.global))
      "pullPolicy" $gw.image.pullPolicy
      "args" (include "flowhelm.gatewayArgs" (dict "root" $root "addresses" .addresses "noReduce" .noReduce "jina" .jina))
      "port" .jina.port
      "scheme" $scheme
      "pingKind" "gateway"
      "resources" $gw.resources
      "secrets" true
      "ports" $containerPorts
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
    "ports" (list (dict "name" "port" "port" .jina.port "nodePort" (index $gw.service.nodePorts $scheme)))
    "persistence" dict
    "serviceType" $gw.service.type
    "serviceAnnotations" $gw.service.annotations
    "loadBalancerSourceRanges" $gw.service.loadBalancerSourceRanges
) }}
{{- include "flowhelm.protocolServices" (dict
    "root" $root "jina" .jina
    "name" $name
    "protocols" $protocols
    "component" "gateway"
    "labels" .shared.labels
    "service" $gw.service
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
