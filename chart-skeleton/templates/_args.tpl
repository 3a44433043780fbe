{{/*
Jina command lines. Each role's options are a dict (flag name without `--` → value), the
user's `args` laid over it, rendered once by flowhelm.argv. Which options each role gets, and
when, follows Jina's own export (orchestrate/deployments/config/k8s.py and helper.py).
*/}}

{{/*
A command line as a JSON list: the command, then `--<key>` per option in key order; `true` is a
bare flag, a list repeats its values, anything else is one value; false, null and "" are left
out.
Usage: include "flowhelm.argv" (list "executor" $options)
*/}}
{{- define "flowhelm.argv" -}}
{{- $out := list (index . 0) -}}
{{- range $k, $v := index . 1 -}}
{{- if kindIs "bool" $v -}}
{{- if $v }}{{ $out = append $out (printf "--%s" $k) }}{{ end -}}
{{- else if kindIs "slice" $v -}}
{{- $out = append $out (printf "--%s" $k) -}}
{{- range $v }}{{ $out = append $out (toString .) }}{{ end -}}
{{- else if not (kindIs "invalid" $v) -}}
{{- $s := toString $v -}}
{{- if ne $s "" }}{{ $out = concat $out (list (printf "--%s" $k) $s) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
Options every container of an executor shares (shards, host, readiness timeout, protocols,
monitoring), the user's `args` with flag names (`snake_case` → `kebab-case`) and the ports, put
into `out` (no JSON round trip: this runs once per executor).
Usage: include "flowhelm.executorCommon" (dict "x" $x "ns" $ns "jina" $jina "floating" $names
  "out" $common) → $common: {options, user, ports}
*/}}
{{- define "flowhelm.executorCommon" -}}
{{- $x := .x -}}
{{- $shards := int $x.shards -}}
{{- $options := dict
      "k8s-namespace" .ns
      "host" .jina.host
-}}
{{- if gt $shards 1 }}{{ $_ := set $options "shards" (toString $shards) }}{{ end -}}
{{- if ne (int $x.timeoutReady) (int .jina.timeoutReady) }}{{ $_ := set $options "timeout-ready" (toString (int $x.timeoutReady)) }}{{ end -}}
{{- if ne (join "," $x.protocols) "grpc" }}{{ $_ := set $options "protocol" (include "flowhelm.protocolNames" $x.protocols | fromJsonArray) }}{{ end -}}
{{- if $x.monitoring }}{{ $_ := set $options "monitoring" true }}{{ end -}}
{{- $ports := list -}}
{{- range $i, $_ := $x.protocols }}{{ $ports = append $ports (add $.jina.port $i) }}{{ end -}}
{{- $user := dict -}}
{{- /* A table is a dict option (`uses_requests`, `expose_endpoints`), passed as its JSON. */ -}}
{{- range $k, $v := $x.args }}
{{- if kindIs "map" $v }}{{ $v = include "flowhelm.json" (list $v (printf "executors.%s.args.%s" $x.name $k)) }}{{ end -}}
{{- $_ := set $user (replace "_" "-" $k) $v -}}
{{- end -}}
{{- if $x.noReduce }}{{ $_ := set $user "no-reduce" true }}{{ end -}}
{{- if has $x.name .floating }}{{ $_ := set $user "floating" true }}{{ end -}}
{{- $_ := set .out "options" $options -}}
{{- $_ := set .out "user" $user -}}
{{- $_ := set .out "ports" $ports -}}
{{- end -}}

{{/*
Usage: include "flowhelm.protocolNames" $protocols → JSON list of Jina's names (GRPC, HTTP, …).
*/}}
{{- define "flowhelm.protocolNames" -}}
{{- $out := list -}}
{{- range . }}{{ $out = append $out (upper .) }}{{ end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
Usage: include "flowhelm.ports" (list $first $count) → JSON list of `count` ports from `first`.
*/}}
{{- define "flowhelm.ports" -}}
{{- $out := list -}}
{{- range $i := until (int (index . 1)) }}{{ $out = append $out (add (index $ 0) $i) }}{{ end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
An executor container: shard `shard` of executor `x` (one of `shards` when sharded); `server`:
gRPC server options of loadBalancing mode jina (empty otherwise).
Usage: include "flowhelm.executorArgs" (dict "x" $x "shard" $i "common" $common "jina" $jina "server" $opts)
*/}}
{{- define "flowhelm.executorArgs" -}}
{{- $x := .x -}}
{{- $sharded := gt (int $x.shards) 1 -}}
{{- $options := dict
      "name" (ternary (printf "%s-%d" $x.name .shard) $x.name $sharded)
      "uses" $x.uses
      "port" .common.ports
      "port-monitoring" (toString .jina.monitoringPort)
      "uses-metas" (include "flowhelm.json" (list ($x.usesMetas | default dict) (printf "executors.%s.usesMetas" $x.name)))
      "native" true
-}}
{{- with $x.usesWith }}{{ $_ := set $options "uses-with" (include "flowhelm.json" (list . (printf "executors.%s.usesWith" $x.name))) }}{{ end -}}
{{- range $k, $v := .common.options }}{{ $_ := set $options $k $v }}{{ end -}}
{{- /* Jina only hands the count to the executor's runtime_args, and a count in the pod template
restarts every pod when it changes: passed on request, never under an autoscaler. */ -}}
{{- if and $x.replicasArg (gt (int $x.replicas) 1) (not $x.autoscaling.enabled) }}{{ $_ := set $options "replicas" (toString (int $x.replicas)) }}{{ end -}}
{{- if gt (int .shard) 0 }}{{ $_ := set $options "shard-id" (toString .shard) }}{{ end -}}
{{- if $x.gpus }}{{ $_ := set $options "gpus" (toString $x.gpus) }}{{ end -}}
{{- with .server }}{{ $_ := set $options "grpc-server-options" (toJson .) }}{{ end -}}
{{- range $k, $v := .common.user }}{{ $_ := set $options $k $v }}{{ end -}}
{{- include "flowhelm.argv" (list "executor" $options) -}}
{{- end -}}

{{/*
The head of a sharded executor: polls its shards (`connection`, shard → address) and runs the
uses_before / uses_after containers listed in `sidecars` (their addresses in the pod); `channel`:
gRPC channel options of loadBalancing mode jina (empty otherwise).
Usage: include "flowhelm.headArgs" (dict "x" $x "connection" $c "sidecars" $s "common" $common "jina" $jina "channel" $opts)
*/}}
{{- define "flowhelm.headArgs" -}}
{{- $x := .x -}}
{{- $options := dict
      "name" (printf "%s/head" $x.name)
      "runtime-cls" .jina.head.runtime
      "pod-role" .jina.head.role
      "port" (toString .jina.port)
      "port-monitoring" (toString .jina.monitoringPort)
      "connection-list" (toJson .connection)
      "uses-metas" "{}"
      "native" true
-}}
{{- range $k, $v := .common.options }}{{ $_ := set $options $k $v }}{{ end -}}
{{- if $x.pollingByEndpoint -}}
{{- $polling := deepCopy $x.pollingByEndpoint -}}
{{- with $x.polling }}{{ $_ := set $polling "*" . }}{{ end -}}
{{- $_ := set $options "polling" (toJson $polling) -}}
{{- else if and $x.polling (ne $x.polling "ANY") -}}
{{- $_ := set $options "polling" $x.polling -}}
{{- end -}}
{{- range .sidecars }}{{ $_ := set $options .addressFlag (printf "127.0.0.1:%v" .port) }}{{ end -}}
{{- with .channel }}{{ $_ := set $options "grpc-channel-options" (toJson .) }}{{ end -}}
{{- include "flowhelm.validateArgLength" (list (index $options "connection-list") "--connection-list"
      (printf "%s's head" $x.name) (len .connection) "shards" .jina) -}}
{{- $drop := .jina.head.dropArgs -}}
{{- range $k, $v := .common.user }}{{ if not (has $k $drop) }}{{ $_ := set $options $k $v }}{{ end }}{{ end -}}
{{- include "flowhelm.argv" (list "executor" $options) -}}
{{- end -}}

{{/*
A uses_before / uses_after container in a head pod (`side` is its entry in jina.sidecars, `s` its
values).
Usage: include "flowhelm.sidecarArgs" (dict "x" $x "side" $side "s" $s "common" $common "jina" $jina)
*/}}
{{- define "flowhelm.sidecarArgs" -}}
{{- $options := dict
      "name" (printf "%s/%s" .x.name .side.name)
      "uses" .s.uses
      "port" (toString (int .s.port))
      "port-monitoring" (toString .side.monitoringPort)
      "uses-metas" "{}"
      "native" true
-}}
{{- range $k, $v := .common.options }}{{ $_ := set $options $k $v }}{{ end -}}
{{- $_ := set $options "shards" (toString (int .x.shards)) -}}
{{- $drop := .jina.sidecarDropArgs -}}
{{- range $k, $v := .common.user }}{{ if not (has $k $drop) }}{{ $_ := set $options $k $v }}{{ end }}{{ end -}}
{{- include "flowhelm.argv" (list "executor" $options) -}}
{{- end -}}

{{/*
The gateway: every executor's addresses (`addresses`: name → list), the graph, its `when`
filters and gRPC metadata, the executors that do not reduce (`noReduce`), and the gRPC channel
options of loadBalancing mode jina (`channel`, empty otherwise).
Usage: include "flowhelm.gatewayArgs" (dict "root" $ "addresses" $a "noReduce" $n "jina" $jina "channel" $opts)
*/}}
{{- define "flowhelm.gatewayArgs" -}}
{{- $gw := .root.Values.gateway -}}
{{- $flow := .root.Values.flow -}}
{{- $protocols := $gw.protocols -}}
{{- $class := ternary (index .jina.gatewayClasses (first $protocols)) .jina.compositeGateway (eq (len $protocols) 1) -}}
{{- $options := dict
      "k8s-namespace" .root.Release.Namespace
      "expose-endpoints" "{}"
      "uses" ($gw.uses | default $class)
      "port" (include "flowhelm.ports" (list .jina.port (len $protocols)) | fromJsonArray)
      "port-monitoring" (toString .jina.monitoringPort)
-}}
{{- if and $gw.replicasArg (ne (int $gw.replicas) 1) (not $gw.autoscaling.enabled) }}{{ $_ := set $options "replicas" (toString (int $gw.replicas)) }}{{ end -}}
{{- with $gw.usesWith }}{{ $_ := set $options "uses-with" (include "flowhelm.json" (list . "gateway.usesWith")) }}{{ end -}}
{{- if $flow.graph }}{{ $_ := set $options "graph-description" (toJson $flow.graph) }}{{ end -}}
{{- if $flow.conditions }}{{ $_ := set $options "graph-conditions" (include "flowhelm.json" (list $flow.conditions "flow.conditions")) }}{{ end -}}
{{- if $flow.grpcMetadata }}{{ $_ := set $options "deployments-metadata" (include "flowhelm.json" (list $flow.grpcMetadata "flow.grpcMetadata")) }}{{ end -}}
{{- if .addresses }}{{ $_ := set $options "deployments-addresses" (toJson .addresses) }}{{ end -}}
{{- range $flag := list "deployments-addresses" "graph-description" "graph-conditions" }}
{{- include "flowhelm.validateArgLength" (list (index $options $flag | default "") (printf "--%s" $flag) "the gateway" (len $.addresses) "executors" $.jina) }}
{{- end -}}
{{- if .noReduce }}{{ $_ := set $options "deployments-no-reduce" (toJson .noReduce) }}{{ end -}}
{{- if ne (int $gw.timeoutReady) (int .jina.timeoutReady) }}{{ $_ := set $options "timeout-ready" (toString (int $gw.timeoutReady)) }}{{ end -}}
{{- if ne (join "," $protocols) "grpc" }}{{ $_ := set $options "protocol" (include "flowhelm.protocolNames" $protocols | fromJsonArray) }}{{ end -}}
{{- if $gw.monitoring }}{{ $_ := set $options "monitoring" true }}{{ end -}}
{{- with .channel }}{{ $_ := set $options "grpc-channel-options" (toJson .) }}{{ end -}}
{{- range $k, $v := $gw.args }}
{{- if kindIs "map" $v }}{{ $v = include "flowhelm.json" (list $v (printf "gateway.args.%s" $k)) }}{{ end -}}
{{- $_ := set $options (replace "_" "-" $k) $v -}}
{{- end -}}
{{- include "flowhelm.argv" (list "gateway" $options) -}}
{{- end -}}
