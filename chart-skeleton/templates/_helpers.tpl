{{/*
Helpers shared by every template. They are called once per workload or per executor, never per
field, so that rendering stays close to the cost of static manifests.
*/}}

{{/* Chart name, overridable. */}}
{{- define "flowhelm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified prefix of every object name (Helm's fullname convention). */}}
{{- define "flowhelm.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Base object name of a component: "<fullname>-<dns>". When it is longer than `limit` (63 minus
the longest suffix the component gets, e.g. "-head" or "-2-websocket"), it is cut and a hash of
the full name is appended, so names stay valid and distinct for any release name.
Arguments: (list fullname dns limit)
*/}}
{{- define "flowhelm.objname" -}}
{{- $base := printf "%s-%s" (index . 0) (index . 1) -}}
{{- $limit := index . 2 -}}
{{- if gt (len $base) $limit -}}
{{- printf "%s-%s" ($base | trunc (int (sub $limit 9)) | trimSuffix "-") ($base | sha256sum | trunc 8) -}}
{{- else -}}
{{- $base -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "flowhelm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "flowhelm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "flowhelm.name" . }}
{{- with .Values.global.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
What every workload of a release shares, computed once per template file rather than per
object: the labels block and the chart name. Returns JSON.
*/}}
{{- define "flowhelm.shared" -}}
{{- toJson (dict "labels" (include "flowhelm.labels" .) "name" (include "flowhelm.name" .)) -}}
{{- end -}}

{{/* An image reference from an `image` value block. Arguments: (list image global) */}}
{{- define "flowhelm.image" -}}
{{- $img := index . 0 -}}
{{- $registry := (index . 1).imageRegistry -}}
{{- $ref := $img.repository -}}
{{- if $registry -}}{{- $ref = printf "%s/%s" (trimSuffix "/" $registry) $ref -}}{{- end -}}
{{- if $img.tag -}}{{- $ref = printf "%s:%s" $ref $img.tag -}}{{- end -}}
{{- if $img.digest -}}{{- $ref = printf "%s@%s" $ref $img.digest -}}{{- end -}}
{{- $ref -}}
{{- end -}}

{{/*
Jina options from an `args` value map, as a JSON list: `true` is a bare flag, lists repeat the
value, everything else is one value. Arguments: the map.
*/}}
{{- define "flowhelm.passArgs" -}}
{{- $out := list -}}
{{- range $k, $v := . -}}
{{- $flag := printf "--%s" (replace "_" "-" $k) -}}
{{- if kindIs "bool" $v -}}
{{- if $v -}}{{- $out = append $out $flag -}}{{- end -}}
{{- else if kindIs "slice" $v -}}
{{- $out = append $out $flag -}}
{{- range $v -}}{{- $out = append $out (toString .) -}}{{- end -}}
{{- else -}}
{{- $out = concat $out (list $flag (toString $v)) -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
One executor's settings: executorDefaults with the executor's own block laid over it, maps merged
key by key (an empty default map is simply replaced) and `null` removing a key. Written out because sprig's merge treats false, 0 and ""
as missing, so a default would win over an executor's explicit `monitoring: false`. Nested
default maps are shared, not copied: templates only read them. Sets `name` to the key.
Arguments: (list dst defaults own key); fills dst.
*/}}
{{- define "flowhelm.executor" -}}
{{- include "flowhelm.overlay" (list (index . 0) (index . 1) (index . 2)) -}}
{{- $_ := set (index . 0) "name" (index . 3) -}}
{{- end -}}

{{- define "flowhelm.overlay" -}}
{{- $dst := index . 0 -}}
{{- $base := index . 1 -}}
{{- /* A shallow copy (dst is empty, so sprig's merge only copies keys, falses included). */ -}}
{{- $_ := merge $dst $base -}}
{{- range $k, $v := index . 2 -}}
{{- $b := index $base $k -}}
{{- if kindIs "invalid" $v -}}
{{- $_ := unset $dst $k -}}
{{- else if and (kindIs "map" $v) (kindIs "map" $b) $b -}}
{{- $sub := dict -}}
{{- include "flowhelm.overlay" (list $sub $b $v) -}}
{{- $_ := set $dst $k $sub -}}
{{- else -}}
{{- $_ := set $dst $k $v -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Startup probe failure threshold from timeoutReady, as Jina computes it; -1 ("wait forever")
gives the largest threshold Kubernetes accepts. Arguments: (list timeoutReady periodSeconds)
*/}}
{{- define "flowhelm.startupThreshold" -}}
{{- $ms := int (index . 0) -}}
{{- if lt $ms 0 -}}
{{- 2147483647 -}}
{{- else -}}
{{- $period := mul 1000 (int (index . 1)) -}}
{{- max 3 (div (add $ms (sub $period 1)) $period) -}}
{{- end -}}
{{- end -}}

{{/*
One probe as JSON: the probe's `handler` when set, else the one `type` picks for the container
(native: gRPC health for grpc, GET / for http and websocket; jina-ping: `jina ping` with
`pingArgs`), with the probe's timings and thresholds.
Usage: include "flowhelm.probe" (dict "probe" P "type" T "container" C "failureThreshold" N
  ["successThreshold" N] ["pingArgs" LIST]); C has scheme, port and pingKind.
*/}}
{{- define "flowhelm.probe" -}}
{{- $c := .container -}}
{{- $out := dict "initialDelaySeconds" .probe.initialDelaySeconds "periodSeconds" .probe.periodSeconds "timeoutSeconds" .probe.timeoutSeconds "failureThreshold" (int .failureThreshold) -}}
{{- if .successThreshold }}{{ $_ := set $out "successThreshold" .successThreshold }}{{ end -}}
{{- if .probe.handler -}}
{{- $_ := merge $out .probe.handler -}}
{{- else if eq .type "jina-ping" -}}
{{- $_ := set $out "exec" (dict "command" (concat (list "jina" "ping" $c.pingKind (printf "%s://127.0.0.1:%v" $c.scheme $c.port)) (.pingArgs | default list))) -}}
{{- else if eq $c.scheme "grpc" -}}
{{- $_ := set $out "grpc" (dict "port" $c.port) -}}
{{- else -}}
{{- $_ := set $out "httpGet" (dict "path" "/" "port" $c.port) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
One Jina workload: ConfigMap, Service(s), Deployment or StatefulSet, and a ServiceMonitor.
Blocks every workload has (arguments, security contexts, strategy) are written with toJson, a
JSON flow collection YAML reads as is: toYaml costs helm several times more, a quarter of the
render time of a thousand-executor Flow.
Arguments: a dict with
  root, shared (from flowhelm.shared), name, jinaName, podType, shardId, component, replicas,
  cfg (the values block), env (ConfigMap data), containers (list of dicts: name image
  pullPolicy args port scheme pingKind monitoringPort resources secrets), ports (list of
  service ports), persistence.
*/}}
{{- define "flowhelm.workload" -}}
{{- $root := .root -}}
{{- $cfg := .cfg -}}
{{- $ns := $root.Release.Namespace -}}
{{- $labels := .shared.labels -}}
{{- $stateful := .persistence.enabled | default false -}}
{{- $kind := ternary "StatefulSet" "Deployment" $stateful -}}
{{- $mesh := $root.Values.global.serviceMesh -}}
{{- $probes := $cfg.probes -}}
{{- $threshold := include "flowhelm.startupThreshold" (list $cfg.timeoutReady $probes.startup.periodSeconds) -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .name }}-configmap
  namespace: {{ $ns }}
  labels:
    {{- $labels | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
data:
  pythonunbuffered: "1"
  PYTHONUNBUFFERED: "1"
  worker_class: uvicorn.workers.UvicornH11Worker
  {{- range $k, $v := .env }}
  {{ $k | quote }}: {{ $v | toString | quote }}
  {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  namespace: {{ $ns }}
  labels:
    {{- $labels | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    app: {{ .name }}
  {{- with .serviceAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .serviceType | default "ClusterIP" }}
  {{- if $stateful }}
  clusterIP: None
  publishNotReadyAddresses: true
  {{- end }}
  {{- with .loadBalancerSourceRanges }}
  loadBalancerSourceRanges:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  ports:
    {{- range .ports }}
    - name: {{ .name }}
      port: {{ .port }}
      targetPort: {{ .port }}
      protocol: TCP
      {{- if .nodePort }}
      nodePort: {{ .nodePort }}
      {{- end }}
    {{- end }}
    {{- if $cfg.monitoring }}
    - name: monitoring
      port: 9090
      targetPort: 9090
      protocol: TCP
    {{- end }}
  selector:
    app: {{ .name }}
    app.kubernetes.io/instance: {{ $root.Release.Name }}
---
apiVersion: apps/v1
kind: {{ $kind }}
metadata:
  name: {{ .name }}
  namespace: {{ $ns }}
  labels:
    {{- $labels | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  replicas: {{ .replicas }}
  selector:
    matchLabels:
      app: {{ .name }}
      app.kubernetes.io/instance: {{ $root.Release.Name }}
  {{- if $stateful }}
  serviceName: {{ .name }}
  podManagementPolicy: Parallel
  {{- with $cfg.strategy }}
  updateStrategy:
    type: {{ .type }}
    {{- if and (eq .type "RollingUpdate") .rollingUpdate }}
    rollingUpdate:
      maxUnavailable: {{ .rollingUpdate.maxUnavailable | default 1 }}
    {{- end }}
  {{- end }}
  {{- else }}
  {{- with $cfg.strategy }}
  strategy: {{ toJson . }}
  {{- end }}
  {{- end }}
  template:
    metadata:
      annotations:
        checksum/config: {{ toJson .env | sha256sum | trunc 16 }}
        {{- if eq $mesh "linkerd" }}
        linkerd.io/inject: enabled
        {{- end }}
        {{- with $cfg.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      labels:
        app: {{ .name }}
        app.kubernetes.io/instance: {{ $root.Release.Name }}
        app.kubernetes.io/name: {{ .shared.name }}
        app.kubernetes.io/component: {{ .component }}
        jina_deployment_name: {{ .jinaName | quote }}
        ns: {{ $ns }}
        pod_type: {{ .podType }}
        shard_id: {{ .shardId | quote }}
        {{- if eq $mesh "istio" }}
        sidecar.istio.io/inject: "true"
        {{- end }}
        {{- with $root.Values.global.commonLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with $cfg.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      automountServiceAccountToken: false
      {{- $pull := concat ($root.Values.global.imagePullSecrets | default list) ($cfg.imagePullSecrets | default list) | uniq }}
      {{- with $pull }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      {{- with $cfg.podSecurityContext }}
      securityContext: {{ toJson . }}
      {{- end }}
      {{- with $cfg.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $cfg.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $cfg.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        {{- range $c := .containers }}
        - name: {{ $c.name }}
          image: {{ $c.image | quote }}
          imagePullPolicy: {{ $c.pullPolicy }}
          command: ["jina"]
          args: {{ toJson $c.args }}
          ports:
            {{- range $c.ports }}
            - name: {{ .name }}
              containerPort: {{ .port }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ $.name }}-configmap
          env:
            - name: POD_UID
              valueFrom:
                fieldRef:
                  fieldPath: metadata.uid
            - name: JINA_DEPLOYMENT_NAME
              value: {{ $.jinaName | quote }}
            - name: {{ ternary "K8S_STATEFULSET_NAME" "K8S_DEPLOYMENT_NAME" $stateful }}
              value: {{ $.name }}
            - name: K8S_NAMESPACE_NAME
              value: {{ $ns }}
            - name: K8S_POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            {{- if $c.secrets }}
            {{- range $var, $ref := $cfg.envFromSecret }}
            - name: {{ $var }}
              valueFrom:
                secretKeyRef:
                  name: {{ $ref.name }}
                  key: {{ $ref.key }}
            {{- end }}
            {{- with $cfg.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- end }}
          {{- $probe := dict "type" $probes.type "container" $c }}
          {{- if $probes.startup.enabled }}
          startupProbe: {{ include "flowhelm.probe" (merge (dict "probe" $probes.startup "failureThreshold" ($probes.startup.failureThreshold | default $threshold)) $probe) }}
          {{- end }}
          {{- if $probes.liveness.enabled }}
          livenessProbe: {{ include "flowhelm.probe" (merge (dict "probe" $probes.liveness "failureThreshold" $probes.liveness.failureThreshold "pingArgs" (list "--timeout" "9500")) $probe) }}
          {{- end }}
          {{- if $probes.readiness.enabled }}
          readinessProbe: {{ include "flowhelm.probe" (merge (dict "probe" $probes.readiness "failureThreshold" $probes.readiness.failureThreshold "successThreshold" $probes.readiness.successThreshold) $probe) }}
          {{- end }}
          lifecycle:
            preStop:
              exec:
                command: ["/bin/sh", "-c", "sleep 2"]
          {{- with $c.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $cfg.securityContext }}
          securityContext: {{ toJson . }}
          {{- end }}
          {{- if or $stateful $cfg.extraVolumeMounts }}
          volumeMounts:
            {{- if $stateful }}
            {{- range $vname, $v := $.persistence.volumes }}
            - name: {{ $vname }}
              mountPath: {{ $v.mountPath | quote }}
            {{- end }}
            {{- end }}
            {{- with $cfg.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- end }}
        {{- end }}
      {{- with $cfg.extraVolumes }}
      volumes:
        {{- toYaml . | nindent 8 }}
      {{- end }}
  {{- if $stateful }}
  volumeClaimTemplates:
    {{- range $vname, $v := .persistence.volumes }}
    - metadata:
        name: {{ $vname }}
      spec:
        accessModes:
          {{- toYaml $.persistence.accessModes | nindent 10 }}
        {{- with $.persistence.storageClassName }}
        storageClassName: {{ . | quote }}
        {{- end }}
        resources:
          requests:
            storage: {{ $v.size | default $.persistence.size | quote }}
    {{- end }}
  {{- end }}
{{- if $cfg.monitoring }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .name }}
  namespace: {{ $ns }}
  labels:
    {{- $labels | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  endpoints:
    - port: monitoring
  namespaceSelector:
    matchNames:
      - {{ $ns }}
  selector:
    matchLabels:
      app: {{ .name }}
{{- end }}
{{- end -}}
