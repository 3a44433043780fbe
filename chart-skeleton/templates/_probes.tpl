{{/*
The startup probe's failure threshold from timeoutReady, as Jina computes it; -1 ("wait
forever") gives the largest threshold Kubernetes accepts.
Usage: include "flowhelm.startupThreshold" (list $timeoutReady $periodSeconds)
*/}}
{{- define "flowhelm.startupThreshold" -}}
{{- $ms := int (index . 0) -}}
{{- if lt $ms 0 -}}
{{- 2147483647 -}}
{{- else -}}
{{- $period := mul 1000 (int (index . 1)) -}}
{{- min 2147483647 (max 3 (div (add $ms (sub $period 1)) $period)) -}}
{{- end -}}
{{- end -}}

{{/*
One probe as JSON: the probe's `handler` when set, else the one `type` picks for the container
(native: gRPC health for grpc, GET / for http and websocket; jina-ping: `jina ping` with
`pingArgs`), with the probe's timings and thresholds.
Usage: include "flowhelm.probe" (dict "probe" $p "type" $type "container" $c "failureThreshold" $n
  ["successThreshold" $n] ["pingArgs" $list]); $c has scheme, port and pingKind.
*/}}
{{- define "flowhelm.probe" -}}
{{- $c := .container -}}
{{- $out := dict
      "initialDelaySeconds" .probe.initialDelaySeconds
      "periodSeconds" .probe.periodSeconds
      "timeoutSeconds" .probe.timeoutSeconds
      "failureThreshold" (int .failureThreshold)
-}}
{{- if .successThreshold }}{{ $_ := set $out "successThreshold" .successThreshold }}{{ end -}}
{{- if .probe.handler -}}
{{- $_ := merge $out .probe.handler -}}
{{- else if eq .type "jina-ping" -}}
{{- $target := printf "%s://127.0.0.1:%v" $c.scheme $c.port -}}
{{- $_ := set $out "exec" (dict "command" (concat (list "jina" "ping" $c.pingKind $target) (.pingArgs | default list))) -}}
{{- else if eq $c.scheme "grpc" -}}
{{- $_ := set $out "grpc" (dict "port" $c.port) -}}
{{- else -}}
{{- $_ := set $out "httpGet" (dict "path" "/" "port" $c.port) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
The startup, liveness and readiness probes of one container (YAML lines at its indentation).
Usage: include "flowhelm.probes" (dict "probes" $cfg.probes "container" $c "timeoutReady" $ms "jina" $jina)
*/}}
{{- define "flowhelm.probes" -}}
{{- $p := .probes -}}
{{- $base := dict "type" $p.type "container" .container -}}
{{- if $p.startup.enabled }}
startupProbe: {{ include "flowhelm.probe" (merge (dict
    "probe" $p.startup
    "failureThreshold" ($p.startup.failureThreshold | default (include "flowhelm.startupThreshold" (list .timeoutReady $p.startup.periodSeconds)))
  ) $base) }}
{{- end }}
{{- if $p.liveness.enabled }}
livenessProbe: {{ include "flowhelm.probe" (merge (dict
    "probe" $p.liveness
    "failureThreshold" $p.liveness.failureThreshold
    "pingArgs" (list "--timeout" .jina.pingTimeout)
  ) $base) }}
{{- end }}
{{- if $p.readiness.enabled }}
readinessProbe: {{ include "flowhelm.probe" (merge (dict
    "probe" $p.readiness
    "failureThreshold" $p.readiness.failureThreshold
    "successThreshold" $p.readiness.successThreshold
  ) $base) }}
{{- end }}
{{- end -}}

{{/*
How long the startup probe lets a container start, in seconds: its initial delay plus period
times failure threshold (0 when it is off).
Usage: include "flowhelm.startupBudget" $cfg   ($cfg: a workload's values, with probes and
  timeoutReady)
*/}}
{{- define "flowhelm.startupBudget" -}}
{{- $startup := .probes.startup -}}
{{- if $startup.enabled -}}
{{- $threshold := $startup.failureThreshold | default (include "flowhelm.startupThreshold" (list .timeoutReady $startup.periodSeconds)) -}}
{{- add (int $startup.initialDelaySeconds) (mul (int $startup.periodSeconds) (int64 $threshold)) -}}
{{- else -}}
0
{{- end -}}
{{- end -}}

{{/*
A Deployment's progressDeadlineSeconds when its value is empty: the startup budget plus
minReadySeconds plus 120 s for scheduling and the image pull, and never below Kubernetes'
default of 600 s, so that a model loading within its probes' budget is not reported as a failed
rollout.
Usage: include "flowhelm.progressDeadline" $cfg
*/}}
{{- define "flowhelm.progressDeadline" -}}
{{- $minReady := .minReadySeconds -}}
{{- $minReady = ternary 0 $minReady (or (kindIs "invalid" $minReady) (kindIs "string" $minReady)) -}}
{{- $need := add (include "flowhelm.startupBudget" . | int64) (int $minReady) 120 -}}
{{- min 2147483647 (max 600 $need) -}}
{{- end -}}
