{{/*
Every render-time check of the release's values the schema cannot make, with a message naming
the values key; the first that fails stops the render. What executors take from
executorDefaults is checked here, once; what each executor sets itself by
flowhelm.validateExecutor.
Usage: include "flowhelm.validateValues" (dict "root" $ "fullname" $name "jina" $jina)
*/}}
{{- define "flowhelm.validateValues" -}}
{{- $defaults := .root.Values.executorDefaults }}
{{- include "flowhelm.validateStrategy" (list $defaults.strategy "executorDefaults" $defaults.persistence.enabled) }}
{{- include "flowhelm.validateMountPaths" (list $defaults "executorDefaults") }}
{{- include "flowhelm.validateScaling" (list $defaults "executorDefaults") }}
{{- include "flowhelm.validateScaling" (list $defaults.head "executorDefaults.head") }}
{{- include "flowhelm.validateArgs" (list $defaults.args "executorDefaults" .jina.chartArgs.executor) }}
{{- if regexMatch "^[^a-z]" .fullname }}
{{- fail (printf (print "object names start with %q, and Service names must start with a letter: "
      "choose a release name that does, or set fullnameOverride") .fullname) }}
{{- end }}
{{- /* helm takes release names with dots; a Service name is one DNS label. */}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" .fullname) }}
{{- fail (printf (print "object names start with %q, and Service names may only hold lower-case letters, "
      "digits and '-': choose a release name without dots, or set fullnameOverride (or nameOverride)")
      .fullname) }}
{{- end }}
{{- $flow := .root.Values.flow }}
{{- $executors := .root.Values.executors | default dict }}
{{- range $from, $to := $flow.graph }}
{{- range $name := prepend $to $from }}
{{- if and (not (hasKey $executors $name)) (ne $name "start-gateway") (ne $name "end-gateway") }}
{{- fail (printf (print "executors.%s is removed (null), but flow.graph still routes requests to %s: "
      "set the executor's keys instead, or regenerate the chart from a Flow without it") $name $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- $jina := .jina }}
{{- with .root.Values.gateway }}
{{- if .enabled }}
{{- include "flowhelm.validateArgs" (list .args "gateway" $jina.chartArgs.gateway) }}
{{- include "flowhelm.validateStrategy" (list .strategy "gateway" false) }}
{{- include "flowhelm.validateMountPaths" (list . "gateway") }}
{{- include "flowhelm.validateScaling" (list . "gateway") }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
The checks of one executor's own settings (`x` merged, `own` its block); the keys named in
messages are computed only when a check fails, since this runs once per executor.
Usage: include "flowhelm.validateExecutor" (list $x $own $jina)
*/}}
{{- define "flowhelm.validateExecutor" -}}
{{- $x := index . 0 }}
{{- $own := index . 1 }}
{{- with $own.args }}{{ include "flowhelm.validateArgs" (list . (printf "executors.%s" $x.name) (index $ 2).chartArgs.executor) }}{{ end }}
{{- if not $x.dnsName }}
{{- fail (printf "executors.%s.dnsName is empty: every executor needs its own name in Kubernetes objects (a DNS label)" $x.name) }}
{{- end }}
{{- if and (not $x.image.repository) (not $x.external.enabled) }}
{{- fail (printf "executors.%s.image.repository is empty: the Flow's jinaai+docker:// image is resolved by Jina Hub; set the image it resolves to" $x.name) }}
{{- end }}
{{- if or $own.strategy $own.persistence }}
{{- include "flowhelm.validateStrategy" (list $x.strategy (printf "executors.%s" $x.name) $x.persistence.enabled) }}
{{- end }}
{{- if or $own.persistence $own.writableDirs $own.extraVolumeMounts }}
{{- include "flowhelm.validateMountPaths" (list $x (printf "executors.%s" $x.name)) }}
{{- end }}
{{- if or $own.podDisruptionBudget $own.autoscaling $own.resources }}
{{- include "flowhelm.validateScaling" (list $x (printf "executors.%s" $x.name)) }}
{{- end }}
{{- if $own.head }}
{{- include "flowhelm.validateScaling" (list $x.head (printf "executors.%s.head" $x.name)) }}
{{- end }}
{{- if and (or $own.gpus $own.resources) (toString $x.gpus) (hasKey ($x.resources.limits | default dict) "nvidia.com/gpu") }}
{{- fail (printf (print "executors.%[1]s.resources.limits.nvidia.com/gpu and executors.%[1]s.gpus both set the "
      "GPU limit: set only executors.%[1]s.gpus (it also passes --gpus to Jina)") $x.name) }}
{{- end }}
{{- end -}}

{{/*
No `args` entry may pass an option the chart passes itself (`table`: option → what to do
instead, from _jina.tpl): it would win over the chart's, and e.g. a pod listening on another port
than its Service and probes never becomes Ready.
Usage: include "flowhelm.validateArgs" (list $args "executors.x" $jina.chartArgs.executor)
*/}}
{{- define "flowhelm.validateArgs" -}}
{{- $key := index . 1 -}}
{{- $table := index . 2 -}}
{{- range $k, $_ := index . 0 -}}
{{- $option := replace "-" "_" $k -}}
{{- with index $table $option -}}
{{- fail (printf "%s.args.%s: the chart passes --%s itself, and an args entry would override it; %s"
      $key $k (replace "_" "-" $option) (replace "{}" $key .)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
An update strategy the API server takes: a StatefulSet has no Recreate, and a rolling update
needs room (maxSurge and maxUnavailable cannot both be 0).
Usage: include "flowhelm.validateStrategy" (list $strategy "executors.x" $stateful)
*/}}
{{- define "flowhelm.validateStrategy" -}}
{{- $st := index . 0 | default dict -}}
{{- $key := index . 1 -}}
{{- if and (index . 2) (eq $st.type "Recreate") -}}
{{- fail (printf "%s.strategy.type: a StatefulSet (persistence is on) cannot Recreate; use RollingUpdate or OnDelete" $key) -}}
{{- end -}}
{{- if and (not (index . 2)) (eq $st.type "OnDelete") -}}
{{- fail (printf "%s.strategy.type: OnDelete is for StatefulSets (persistence on); use RollingUpdate or Recreate" $key) -}}
{{- end -}}
{{- $ru := $st.rollingUpdate | default dict -}}
{{- if and (not (index . 2)) (ne $st.type "Recreate") (hasKey $ru "maxSurge") (hasKey $ru "maxUnavailable") -}}
{{- if and (eq (toString $ru.maxSurge | trimSuffix "%") "0") (eq (toString $ru.maxUnavailable | trimSuffix "%") "0") -}}
{{- fail (printf "%s.strategy.rollingUpdate: maxSurge and maxUnavailable are both 0, so a rolling update could never replace a pod; allow one of them" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
An argument Linux can pass: at most MAX_ARG_STRLEN bytes (a gateway's address and graph lists,
a head's shard list grow with the Flow).
Usage: include "flowhelm.validateArgLength" (list $text "--flag" "the gateway" $count "executors" $jina)
*/}}
{{- define "flowhelm.validateArgLength" -}}
{{- $max := int (index . 5).maxArgLen -}}
{{- $len := len (index . 0) -}}
{{- if ge $len $max -}}
{{- fail (printf (print "%s's %s would be %d bytes, over Linux's %d-byte limit for one argument (MAX_ARG_STRLEN), "
      "so it could not start: with this release and namespace, about %d %s fit")
      (index . 2) (index . 1) $len $max (div (mul (index . 3) (sub $max 1)) $len) (index . 4)) -}}
{{- end -}}
{{- end -}}

{{/*
Every path a container mounts is mounted once (the API server refuses a repeated mountPath).
Usage: include "flowhelm.validateMountPaths" (list $workloadValues "executors.x")
*/}}
{{- define "flowhelm.validateMountPaths" -}}
{{- $cfg := index . 0 -}}
{{- $seen := dict -}}
{{- $paths := list -}}
{{- $persistence := $cfg.persistence | default dict -}}
{{- if $persistence.enabled }}{{ range $name, $v := $persistence.volumes }}
  {{- $paths = append $paths (list $v.mountPath (printf "persistence.volumes.%s" $name)) }}
{{- end }}{{ end -}}
{{- range $i, $p := $cfg.writableDirs }}{{ $paths = append $paths (list $p (printf "writableDirs[%d]" $i)) }}{{ end -}}
{{- range $i, $m := $cfg.extraVolumeMounts }}{{ $paths = append $paths (list $m.mountPath (printf "extraVolumeMounts[%d]" $i)) }}{{ end -}}
{{- $key := index . 1 -}}
{{- range $entry := $paths -}}
{{- $path := index $entry 0 -}}
{{- if hasKey $seen $path -}}
{{- fail (printf "%s.%s and %s.%s both mount %s: a container mounts each path once" $key (index $seen $path) $key (index $entry 1) $path) -}}
{{- end -}}
{{- $_ := set $seen $path (index $entry 1) -}}
{{- end -}}
{{- end -}}


{{/*
A workload's disruption budget and autoscaler (`cfg`, a block of values at `key`): one budget
count at most, a replica range that is one, and a CPU target only with a CPU request (the
autoscaler measures use against the request, and has no figure without one).
Usage: include "flowhelm.validateScaling" (list $cfg "values.key")
*/}}
{{- define "flowhelm.validateScaling" -}}
{{- $cfg := index . 0 -}}
{{- $key := index . 1 -}}
{{- with $cfg.podDisruptionBudget -}}
{{- if and (ne (toString .minAvailable) "") (ne (toString .maxUnavailable) "") -}}
{{- fail (printf "%s.podDisruptionBudget sets both minAvailable and maxUnavailable; a PodDisruptionBudget takes one: set the other to \"\"" $key) -}}
{{- end -}}
{{- end -}}
{{- with $cfg.autoscaling -}}
{{- if .enabled -}}
{{- if gt (int .minReplicas) (int .maxReplicas) -}}
{{- fail (printf "%s.autoscaling.minReplicas (%v) is above maxReplicas (%v)" $key .minReplicas .maxReplicas) -}}
{{- end -}}
{{- if and (eq (int .minReplicas) 0) (not (and .keda.enabled .keda.query)) -}}
{{- fail (printf (print "%s.autoscaling.minReplicas is 0, which only KEDA can do, on a query of a series that exists "
      "while the workload has no pod (its own metrics and CPU vanish with its pods, and nothing would wake it): "
      "set %s.autoscaling.keda.enabled and keda.query, or minReplicas to 1") $key $key) -}}
{{- end -}}
{{- if and (gt (int .targetCPUUtilizationPercentage) 0) (not (($cfg.resources | default dict).requests | default dict).cpu) -}}
{{- fail (printf (print "%s.autoscaling.targetCPUUtilizationPercentage needs %s.resources.requests.cpu: "
      "the autoscaler measures CPU use against the request") $key $key) -}}
{{- end -}}
{{- if and (gt (int .targetMemoryUtilizationPercentage) 0) (not (($cfg.resources | default dict).requests | default dict).memory) -}}
{{- fail (printf (print "%s.autoscaling.targetMemoryUtilizationPercentage needs %s.resources.requests.memory: "
      "the autoscaler measures memory use against the request") $key $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
