{{/*
The gateway: it knows every executor's address (through heads for sharded executors) and the
graph, exactly as Jina's export passes them, with names and namespace taken from the release.
Arguments: a dict with root, shared (from flowhelm.shared), addresses (executor name → list of
addresses) and noReduce (names of executors with `noReduce`), gathered by flow.yaml while it
renders the executors, so each executor's settings are merged once.
*/}}
{{- define "flowhelm.gateway" -}}
{{- $root := .root -}}
{{- $addresses := .addresses -}}
{{- $noReduce := .noReduce -}}
{{- $ns := $root.Release.Namespace -}}
{{- $global := $root.Values.global -}}
{{- $gw := $root.Values.gateway -}}
{{- $name := include "flowhelm.objname" (list (include "flowhelm.fullname" $root) "gateway" 51) -}}
{{- $protocols := $gw.protocols -}}
{{- $classes := dict "grpc" "GRPCGateway" "http" "HTTPGateway" "websocket" "WebSocketGateway" -}}
{{- $uses := ternary (index $classes (first $protocols)) "CompositeGateway" (eq (len $protocols) 1) -}}
{{- if $gw.uses }}{{ $uses = $gw.uses }}{{ end -}}
{{- $args := list "gateway" "--k8s-namespace" $ns -}}
{{- if not (hasKey $gw.args "expose_endpoints") }}{{ $args = concat $args (list "--expose-endpoints" "{}") }}{{ end -}}
{{- $args = concat $args (list "--uses" $uses) -}}
{{- if $gw.usesWith }}{{ $args = concat $args (list "--uses-with" (ternary $gw.usesWith (toJson $gw.usesWith) (kindIs "string" $gw.usesWith))) }}{{ end -}}
{{- if ne (int $gw.replicas) 1 }}{{ $args = concat $args (list "--replicas" (toString (int $gw.replicas))) }}{{ end -}}
{{- if $root.Values.flow.graph }}{{ $args = concat $args (list "--graph-description" (toJson $root.Values.flow.graph)) }}{{ end -}}
{{- /* Entries are mappings, or exact JSON text (see executors' usesWith). */ -}}
{{- range $key := list "conditions" "grpcMetadata" -}}
{{- $blob := index $root.Values.flow $key -}}
{{- if $blob -}}
{{- $parts := list -}}
{{- range $k, $v := $blob }}{{ $parts = append $parts (printf "%s: %s" (toJson $k) (ternary $v (toJson $v) (kindIs "string" $v))) }}{{ end -}}
{{- $args = concat $args (list (ternary "--graph-conditions" "--deployments-metadata" (eq $key "conditions")) (printf "{%s}" (join ", " $parts))) -}}
{{- end -}}
{{- end -}}
{{- if $root.Values.executors }}{{ $args = concat $args (list "--deployments-addresses" (toJson $addresses)) }}{{ end -}}
{{- if $noReduce }}{{ $args = concat $args (list "--deployments-no-reduce" (toJson $noReduce)) }}{{ end -}}
{{- if ne (int $gw.timeoutReady) 600000 }}{{ $args = concat $args (list "--timeout-ready" (toString (int $gw.timeoutReady))) }}{{ end -}}
{{- $args = append $args "--port" -}}
{{- $ports := list -}}
{{- $containerPorts := list -}}
{{- range $i, $p := $protocols -}}
{{- $args = append $args (toString (add 8080 $i)) -}}
{{- $containerPorts = append $containerPorts (dict "name" $p "port" (add 8080 $i)) -}}
{{- end -}}
{{- if ne (join "," $protocols) "grpc" -}}
{{- $args = append $args "--protocol" -}}
{{- range $protocols }}{{ $args = append $args (upper .) }}{{ end -}}
{{- end -}}
{{- if $gw.monitoring }}{{ $args = append $args "--monitoring" }}{{ end -}}
{{- $args = concat $args (list "--port-monitoring" "9090") (include "flowhelm.passArgs" $gw.args | fromJsonArray) -}}
{{- $main := dict "name" "port" "port" 8080 "nodePort" (index $gw.service.nodePorts (first $protocols)) -}}
{{- $container := dict "name" "gateway" "image" (include "flowhelm.image" (list $gw.image $global)) "pullPolicy" $gw.image.pullPolicy "args" $args "port" 8080 "scheme" (first $protocols) "pingKind" "gateway" "resources" $gw.resources "secrets" true "ports" $containerPorts -}}
---
{{ include "flowhelm.workload" (dict "root" $root "shared" $.shared "name" $name "jinaName" "gateway" "podType" "GATEWAY" "shardId" "" "component" "gateway" "replicas" (int $gw.replicas) "cfg" $gw "env" $gw.env "containers" (list $container) "ports" (list $main) "persistence" dict "serviceType" $gw.service.type "serviceAnnotations" $gw.service.annotations "loadBalancerSourceRanges" $gw.service.loadBalancerSourceRanges) }}
{{- range $i, $p := $protocols }}
{{- if gt $i 0 }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ printf "%s-%d-%s" $name $i $p }}
  namespace: {{ $ns }}
  labels:
    {{- $.shared.labels | nindent 4 }}
    app.kubernetes.io/component: gateway
    app: {{ printf "%s-%d-%s" $name $i $p }}
  {{- with $gw.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $gw.service.type }}
  ports:
    - name: {{ $p }}
      port: {{ add 8080 $i }}
      targetPort: {{ add 8080 $i }}
      protocol: TCP
      {{- with index $gw.service.nodePorts $p }}
      nodePort: {{ . }}
      {{- end }}
  selector:
    app: {{ $name }}
    app.kubernetes.io/instance: {{ $root.Release.Name }}
{{- end }}
{{- end }}
{{- end -}}
