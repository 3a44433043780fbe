{{/*
One Jina workload: its ConfigMap, Service (and a StatefulSet's governing headless Service),
Deployment or StatefulSet (persistence on), and a ServiceMonitor when monitoring is on and the
cluster serves that kind. Blocks every workload has (arguments, probes, security contexts) are
written with toJson, a JSON flow collection YAML reads as is: toYaml costs helm several times
more, a quarter of the render time of a thousand-executor Flow.
Usage: include "flowhelm.workload" (dict
  "root" $ "shared" $shared "jina" $jina
  "name" object name  "jinaName" Jina name  "podType" WORKER|HEAD|GATEWAY  "shardId" "0"
  "component" label  "replicas" n  "cfg" values block  "env" ConfigMap data
  "containers" container dicts (see flowhelm.container)  "protocols" served protocols
  "metricsPorts" [{name, port}] (empty without monitoring)  "serviceMonitor" bool
  "persistence" {enabled, volumes, …}  ["service" the gateway's service values]
  ["balanced" true: also a "<name>-pods" Service for loadBalancing mode jina]
  ["probeCache" dict shared by the render  "probeKey" where the probe settings come from,
   when they are shared]
  "account" the ServiceAccount name `serviceAccount.create` gives  "ownsAccount" true: create it
  here (a sharded executor's shards share one)
  "callers" "callees" "external": the Flow's edges, see flowhelm.networkPolicy
  "version" the workload's Jina version, or "" for the chart's appVersion)
Beside the workload: its ServiceAccount, PodDisruptionBudget, HorizontalPodAutoscaler and
NetworkPolicy, each when its values ask for it.
*/}}
{{- define "flowhelm.workload" -}}
{{- $root := .root -}}
{{- $cfg := .cfg -}}
{{- /* Quoted once: each is written several times per workload. */ -}}
{{- $nsQ := .shared.nsQ -}}
{{- $nameQ := .name | quote -}}
{{- $componentQ := .component | quote -}}
{{- $_ := set . "q" (dict "ns" $nsQ "name" $nameQ "component" $componentQ "release" .shared.releaseQ "configMap" (printf "%s-configmap" .name | quote)) -}}
{{- /* The workload's own Jina version, where known and not the chart's, labels its objects. */ -}}
{{- $labels := .shared.labels -}}
{{- if and .version (ne .version $root.Chart.AppVersion) -}}
{{- $chartVersion := printf "\n    app.kubernetes.io/version: %s" (quote $root.Chart.AppVersion) -}}
{{- $labels = printf "%s\n    app.kubernetes.io/version: %s" (replace $chartVersion "" $labels) (quote .version) -}}
{{- end -}}
{{- $_ := set . "labels" $labels -}}
{{- $stateful := .persistence.enabled | default false -}}
{{- $mesh := $root.Values.global.serviceMesh -}}
{{- $autoscaled := $cfg.autoscaling.enabled -}}
{{- /* The account: with `create`, its `name` or the workload's own; without, an existing one
named, or none (the namespace's `default`). */ -}}
{{- $sa := $cfg.serviceAccount -}}
{{- $account := ternary ($sa.name | default .account) $sa.name $sa.create -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .q.configMap }}
  namespace: {{ $nsQ }}
  labels:
    {{- $labels }}
    app.kubernetes.io/component: {{ $componentQ }}
  {{- with .shared.annotations }}
  annotations: {{ toJson . }}
  {{- end }}
data:
  pythonunbuffered: "1"
  PYTHONUNBUFFERED: "1"
  worker_class: uvicorn.workers.UvicornH11Worker
  {{- range $k, $v := .env }}
  {{ $k | quote }}: {{ $v | toString | quote }}
  {{- end }}
---
{{ include "flowhelm.service" (dict "w" $ "headless" false "pods" false) }}
{{- if $stateful }}
---
{{ include "flowhelm.service" (dict "w" $ "headless" true "pods" false) }}
{{- end }}
{{- if .balanced }}
---
{{ include "flowhelm.service" (dict "w" $ "headless" false "pods" true) }}
{{- end }}
---
apiVersion: apps/v1
kind: {{ (ternary "StatefulSet" "Deployment" $stateful) | quote }}
metadata:
  name: {{ $nameQ }}
  namespace: {{ $nsQ }}
  labels:
    {{- $labels }}
    app.kubernetes.io/component: {{ $componentQ }}
  {{- with .shared.annotations }}
  annotations: {{ toJson . }}
  {{- end }}
spec:
  replicas: {{ include "flowhelm.replicas" (dict "w" $ "kind" (ternary "StatefulSet" "Deployment" $stateful)) }}
  {{- /* Counts left empty ("", or absent) are Kubernetes' defaults; 0 is a value. */}}
  {{- $history := $cfg.revisionHistoryLimit }}
  {{- if not (or (kindIs "invalid" $history) (kindIs "string" $history)) }}
  revisionHistoryLimit: {{ int $history }}
  {{- end }}
  {{- $minReady := $cfg.minReadySeconds }}
  {{- $hasMinReady := not (or (kindIs "invalid" $minReady) (kindIs "string" $minReady)) }}
  {{- if $hasMinReady }}
  minReadySeconds: {{ int $minReady }}
  {{- end }}
  {{- $deadline := $cfg.progressDeadlineSeconds }}
  {{- if not $stateful }}
  {{- if or (kindIs "invalid" $deadline) (kindIs "string" $deadline) }}
  progressDeadlineSeconds: {{ include "flowhelm.progressDeadline" $cfg }}
  {{- else }}
  {{- if and $hasMinReady (le (int $deadline) (int $minReady)) }}
  {{- fail (printf "%s: progressDeadlineSeconds (%d) must be more than minReadySeconds (%d): raise it, or leave it empty"
      .name (int $deadline) (int $minReady)) }}
  {{- end }}
  progressDeadlineSeconds: {{ int $deadline }}
  {{- end }}
  {{- end }}
  selector:
    matchLabels:
      app: {{ $nameQ }}
      app.kubernetes.io/instance: {{ .shared.releaseQ }}
  {{- $strategy := $cfg.strategy | default dict }}
  {{- if $stateful }}
  serviceName: {{ printf "%s-headless" .name | quote }}
  podManagementPolicy: Parallel
  updateStrategy:
    type: {{ (ternary "OnDelete" "RollingUpdate" (eq $strategy.type "OnDelete")) | quote }}
  {{- with .persistence.retentionPolicy }}
  persistentVolumeClaimRetentionPolicy: {{ toJson . }}
  {{- end }}
  {{- else }}
  strategy:
    type: {{ ($strategy.type | default "RollingUpdate") | quote }}
    {{- if ne $strategy.type "Recreate" }}
    {{- with $strategy.rollingUpdate }}
    rollingUpdate: {{ toJson . }}
    {{- end }}
    {{- end }}
  {{- end }}
  template:
    metadata:
      annotations:
        checksum/config: {{ toJson .env | sha256sum | trunc 16 }}
        {{- if eq $mesh "linkerd" }}
        linkerd.io/inject: enabled
        {{- end }}
        {{- range $k, $v := $cfg.podAnnotations }}
        {{ $k | quote }}: {{ $v | quote }}
        {{- end }}
      labels:
        app: {{ $nameQ }}
        app.kubernetes.io/instance: {{ .shared.releaseQ }}
        app.kubernetes.io/name: {{ .shared.nameQ }}
        app.kubernetes.io/component: {{ $componentQ }}
        jina_deployment_name: {{ .jinaName | quote }}
        ns: {{ $nsQ }}
        pod_type: {{ .podType | quote }}
        shard_id: {{ .shardId | quote }}
        {{- if eq $mesh "istio" }}
        sidecar.istio.io/inject: "true"
        {{- end }}
        {{- range $k, $v := $root.Values.global.commonLabels }}
        {{ $k | quote }}: {{ $v | quote }}
        {{- end }}
        {{- range $k, $v := $cfg.podLabels }}
        {{ $k | quote }}: {{ $v | quote }}
        {{- end }}
    spec:
      {{- with $account }}
      serviceAccountName: {{ quote . }}
      {{- end }}
      automountServiceAccountToken: {{ $sa.automount | default false }}
      {{- with $cfg.priorityClassName }}
      priorityClassName: {{ quote . }}
      {{- end }}
      {{- with $cfg.runtimeClassName }}
      runtimeClassName: {{ quote . }}
      {{- end }}
      {{- with $cfg.schedulerName }}
      schedulerName: {{ quote . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $cfg.terminationGracePeriodSeconds | int }}
      {{- /* Jina reads none of the <SERVICE>_PORT variables; with thousands of Services in a
      namespace they would outgrow what a process can be started with. */}}
      enableServiceLinks: false
      {{- $pull := concat ($root.Values.global.imagePullSecrets | default list) ($cfg.imagePullSecrets | default list) | uniq }}
      {{- with $pull }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . | quote }}
        {{- end }}
      {{- end }}
      {{- with $cfg.podSecurityContext }}
      securityContext: {{ toJson . }}
      {{- end }}
      {{- /* `capacity` (spot, on-demand) adds the cluster's way of selecting that capacity,
      from global.capacity; the pod's own nodeSelector wins a key both set. */}}
      {{- $capacity := dict }}
      {{- with $cfg.capacity }}
      {{- $capacity = index $root.Values.global.capacity . | default dict }}
      {{- end }}
      {{- with merge (dict) ($cfg.nodeSelector | default dict) ($capacity.nodeSelector | default dict) }}
      nodeSelector: {{ toJson . }}
      {{- end }}
      {{- with $cfg.affinity }}
      affinity: {{ toJson . }}
      {{- end }}
      {{- with $cfg.dnsConfig }}
      dnsConfig: {{ toJson . }}
      {{- end }}
      {{- with $cfg.hostAliases }}
      hostAliases: {{ toJson . }}
      {{- end }}
      {{- with concat ($cfg.tolerations | default list) ($capacity.tolerations | default list) }}
      tolerations: {{ toJson . }}
      {{- end }}
      {{- with $cfg.topologySpreadConstraints }}
      {{- $spread := list }}
      {{- range . }}
      {{- $c := . }}
      {{- if not (hasKey . "labelSelector") }}
      {{- $own := dict "app" $.name "app.kubernetes.io/instance" $root.Release.Name }}
      {{- $c = merge (dict "labelSelector" (dict "matchLabels" $own)) . }}
      {{- end }}
      {{- $spread = append $spread $c }}
      {{- end }}
      topologySpreadConstraints: {{ toJson $spread }}
      {{- end }}
      {{- with $cfg.initContainers }}
      initContainers:
        {{- range . }}
        - {{ toJson . }}
        {{- end }}
      {{- end }}
      containers:
        {{- range $c := .containers }}
        {{- include "flowhelm.container" (dict "w" $ "c" $c "stateful" $stateful) }}
        {{- end }}
        {{- range $cfg.sidecars }}
        - {{ toJson . }}
        {{- end }}
      {{- if or $cfg.extraVolumes $cfg.writableDirs }}
      volumes:
        {{- range $i, $_ := $cfg.writableDirs }}
        - name: {{ (printf "writable-%d" $i) | quote }}
          emptyDir: {}
        {{- end }}
        {{- range $cfg.extraVolumes }}
        - {{ toJson . }}
        {{- end }}
      {{- end }}
  {{- if $stateful }}
  {{- $storageClass := .persistence.storageClass | default $root.Values.global.storageClass }}
  volumeClaimTemplates:
    {{- range $vname, $v := .persistence.volumes }}
    - metadata:
        name: {{ $vname | quote }}
      spec:
        accessModes: {{ toJson $.persistence.accessModes }}
        {{- if eq $storageClass "-" }}
        storageClassName: ""
        {{- else if $storageClass }}
        storageClassName: {{ $storageClass | quote }}
        {{- end }}
        resources:
          requests:
            storage: {{ $v.size | default $.persistence.size | quote }}
    {{- end }}
  {{- include "flowhelm.checkClaims" (dict "w" $ "storageClass" $storageClass) }}
  {{- end }}
{{- if and .metricsPorts .serviceMonitor }}
---
{{ include "flowhelm.serviceMonitor" $ }}
{{- end }}
{{- if and .ownsAccount $sa.create }}
---
{{ include "flowhelm.serviceAccount" (dict "w" $ "name" $account) }}
{{- end }}
{{- if and $cfg.podDisruptionBudget.enabled (or $autoscaled (gt (int .replicas) 1)) }}
---
{{ include "flowhelm.podDisruptionBudget" $ }}
{{- end }}
{{- if $autoscaled }}
---
{{- /* KEDA's when asked and served; else the HorizontalPodAutoscaler (see autoscaling.keda). */}}
{{- $autoscaler := ternary "flowhelm.scaledObject" "flowhelm.autoscaler" (and $cfg.autoscaling.keda.enabled .shared.keda) }}
{{ include $autoscaler (dict "w" $ "kind" (ternary "StatefulSet" "Deployment" $stateful)) }}
{{- end }}
{{- if $root.Values.networkPolicy.enabled }}
---
{{ include "flowhelm.networkPolicy" (dict "w" $ "callers" .callers "callees" .callees "external" .external) }}
{{- end }}
{{- end -}}

{{/*
On an upgrade, a StatefulSet's volume claims cannot change (the API server refuses it): compare
the live StatefulSet's with the rendered ones (sizes as quantities: the API server stores
"1.5Gi" as "1536Mi") and stop with what to do. Renders nothing (and
checks nothing with `helm template`, which sees no cluster).
Usage: include "flowhelm.checkClaims" (dict "w" $workload "storageClass" $class)
*/}}
{{- define "flowhelm.checkClaims" -}}
{{- $w := .w -}}
{{- $live := lookup "apps/v1" "StatefulSet" $w.root.Release.Namespace $w.name -}}
{{- if $live -}}
{{- $was := dict -}}
{{- range $live.spec.volumeClaimTemplates }}
  {{- $_ := set $was .metadata.name
        (dict "size" (toString .spec.resources.requests.storage) "class" (.spec.storageClassName | default "")) }}
{{- end -}}
{{- $now := dict -}}
{{- $class := ternary "" .storageClass (eq .storageClass "-") -}}
{{- range $vname, $v := $w.persistence.volumes }}
  {{- $_ := set $now $vname (dict "size" (toString ($v.size | default $w.persistence.size)) "class" $class) }}
{{- end -}}
{{- if ne (toJson (keys $was | sortAlpha)) (toJson (keys $now | sortAlpha)) -}}
{{- fail (printf (print "StatefulSet %s: its volumes would change from %v to %v, and volume claims cannot change "
      "on a StatefulSet. Delete it first, keeping its pods' data: kubectl -n %s delete statefulset %s --cascade=orphan; "
      "then upgrade (existing claims are kept; new volumes get new claims)")
      $w.name (keys $was | sortAlpha) (keys $now | sortAlpha) $w.root.Release.Namespace $w.name) -}}
{{- end -}}
{{- range $vname, $v := $now -}}
{{- $old := index $was $vname -}}
{{- if ne (include "flowhelm.bytes" $old.size) (include "flowhelm.bytes" $v.size) -}}
{{- fail (printf (print "StatefulSet %s: volume %s would change size from %s to %s, and volume claims cannot change "
      "on a StatefulSet. Resize the claims themselves (kubectl edit pvc, if the storage class allows expansion), "
      "then delete the StatefulSet keeping its pods (kubectl -n %s delete statefulset %s --cascade=orphan) and upgrade")
      $w.name $vname $old.size $v.size $w.root.Release.Namespace $w.name) -}}
{{- end -}}
{{- if and $v.class (ne $old.class $v.class) -}}
{{- fail (printf (print "StatefulSet %s: volume %s would change storage class from %q to %q; a claim's class "
      "cannot change. Keep persistence.storageClass, or move the data to new claims "
      "(delete the StatefulSet with --cascade=orphan and its claims after copying the data)")
      $w.name $vname $old.class $v.class) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
One container of a workload `w` (the dict flowhelm.workload got), written at the indentation of
a pod template's `containers` (rendered in place: re-indenting it would cost a copy per
container).
Usage: include "flowhelm.container" (dict "w" $w "c" $c "stateful" bool), $c: {name image
  pullPolicy args (JSON text) ports port scheme pingKind resources secrets (bool)}
*/}}
{{- define "flowhelm.container" -}}
{{- $w := .w -}}
{{- $c := .c -}}
{{- $cfg := $w.cfg }}
        - name: {{ $c.name | quote }}
          image: {{ $c.image | quote }}
          imagePullPolicy: {{ $c.pullPolicy | quote }}
          command: ["jina"]
          args: {{ $c.args }}
          ports:
            {{- range $c.ports }}
            - name: {{ .name | quote }}
              containerPort: {{ .port | int }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ $w.q.configMap }}
          env:
            - name: POD_UID
              valueFrom:
                fieldRef:
                  fieldPath: metadata.uid
            - name: JINA_DEPLOYMENT_NAME
              value: {{ $w.jinaName | quote }}
            - name: {{ ternary "K8S_STATEFULSET_NAME" "K8S_DEPLOYMENT_NAME" .stateful }}
              value: {{ $w.q.name }}
            - name: K8S_NAMESPACE_NAME
              value: {{ $w.q.ns }}
            - name: K8S_POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            {{- if $c.secrets }}
            {{- range $var, $ref := $cfg.envFromSecret }}
            - name: {{ $var | quote }}
              valueFrom:
                secretKeyRef:
                  name: {{ $ref.name | quote }}
                  key: {{ $ref.key | quote }}
            {{- end }}
            {{- range $cfg.extraEnv }}
            - {{ toJson . }}
            {{- end }}
            {{- end }}
          {{- /* Probes are the same for every container with the same settings: built once each. */}}
          {{- $key := "" }}
          {{- $probes := "" }}
          {{- if $w.probeKey }}
          {{- $key = printf "%s|%s|%v|%s|%v" $w.probeKey $c.scheme $c.port $c.pingKind $cfg.timeoutReady }}
          {{- $probes = index $w.probeCache $key }}
          {{- end }}
          {{- if not $probes }}
          {{- $probes = include "flowhelm.probes"
                (dict "probes" $cfg.probes "container" $c "timeoutReady" $cfg.timeoutReady "jina" $w.jina)
                | trim | nindent 10 }}
          {{- if $key }}{{ $_ := set $w.probeCache $key $probes }}{{ end }}
          {{- end }}
          {{- $probes }}
          {{- with $cfg.lifecycle }}
          lifecycle: {{ toJson . }}
          {{- end }}
          {{- with $c.resources }}
          resources: {{ toJson . }}
          {{- end }}
          {{- with $cfg.securityContext }}
          securityContext: {{ toJson . }}
          {{- end }}
          {{- if or .stateful $cfg.extraVolumeMounts $cfg.writableDirs }}
          volumeMounts:
            {{- if .stateful }}
            {{- range $vname, $v := $w.persistence.volumes }}
            - name: {{ $vname | quote }}
              mountPath: {{ $v.mountPath | quote }}
            {{- end }}
            {{- end }}
            {{- range $i, $path := $cfg.writableDirs }}
            - name: {{ (printf "writable-%d" $i) | quote }}
              mountPath: {{ $path | quote }}
            {{- end }}
            {{- range $cfg.extraVolumeMounts }}
            - {{ toJson . }}
            {{- end }}
          {{- end }}
{{- end -}}
