{{/*
One Jina workload: its ConfigMap, Service, Deployment (or StatefulSet when persistence is on)
and, with monitoring, a ServiceMonitor. Blocks every workload has (arguments, probes, security
contexts, strategy) are written with toJson, a JSON flow collection YAML reads as is: toYaml
costs helm several times more, a quarter of the render time of a thousand-executor Flow.
Usage: include "flowhelm.workload" (dict
  "root" $ "shared" $shared "jina" $jina
  "name" object name  "jinaName" Jina name  "podType" WORKER|HEAD|GATEWAY  "shardId" "0"
  "component" label  "replicas" n  "cfg" values block  "env" ConfigMap data
  "containers" list of container dicts (see flowhelm.container)
  "ports" Service ports [{name, port, nodePort}]  "persistence" {enabled, volumes, …}
  ["serviceType" "serviceAnnotations" "loadBalancerSourceRanges"]
  ["probeCache" dict shared by the render "probeKey" what the probe settings come from, when
   they are shared])
*/}}
{{- define "flowhelm.workload" -}}
{{- $root := .root -}}
{{- $cfg := .cfg -}}
{{- $ns := $root.Release.Namespace -}}
{{- $labels := .shared.labels -}}
{{- $stateful := .persistence.enabled | default false -}}
{{- $mesh := $root.Values.global.serviceMesh -}}
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
      port: {{ .jina.monitoringPort }}
      targetPort: {{ .jina.monitoringPort }}
      protocol: TCP
    {{- end }}
  selector:
    app: {{ .name }}
    app.kubernetes.io/instance: {{ $root.Release.Name }}
---
apiVersion: apps/v1
kind: {{ ternary "StatefulSet" "Deployment" $stateful }}
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
        {{- include "flowhelm.container" (dict "w" $ "c" $c "stateful" $stateful) }}
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
        - name: {{ $c.name }}
          image: {{ $c.image | quote }}
          imagePullPolicy: {{ $c.pullPolicy }}
          command: ["jina"]
          args: {{ $c.args }}
          ports:
            {{- range $c.ports }}
            - name: {{ .name }}
              containerPort: {{ .port }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ $w.name }}-configmap
          env:
            - name: POD_UID
              valueFrom:
                fieldRef:
                  fieldPath: metadata.uid
            - name: JINA_DEPLOYMENT_NAME
              value: {{ $w.jinaName | quote }}
            - name: {{ ternary "K8S_STATEFULSET_NAME" "K8S_DEPLOYMENT_NAME" .stateful }}
              value: {{ $w.name }}
            - name: K8S_NAMESPACE_NAME
              value: {{ $w.root.Release.Namespace }}
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
          {{- /* Probes are the same for every container with the same settings: built once each. */}}
          {{- $key := "" }}
          {{- $probes := "" }}
          {{- if $w.probeKey }}
          {{- $key = printf "%s|%s|%v|%s|%v" $w.probeKey $c.scheme $c.port $c.pingKind $cfg.timeoutReady }}
          {{- $probes = index $w.probeCache $key }}
          {{- end }}
          {{- if not $probes }}
          {{- $probes = include "flowhelm.probes" (dict "probes" $cfg.probes "container" $c "timeoutReady" $cfg.timeoutReady "jina" $w.jina) | trim }}
          {{- if $key }}{{ $_ := set $w.probeCache $key $probes }}{{ end }}
          {{- end }}
          {{- $probes | nindent 10 }}
          lifecycle:
            preStop:
              exec:
                command: ["/bin/sh", "-c", "sleep 2"]
          {{- with $c.resources }}
          resources: {{ toJson . }}
          {{- end }}
          {{- with $cfg.securityContext }}
          securityContext: {{ toJson . }}
          {{- end }}
          {{- if or .stateful $cfg.extraVolumeMounts }}
          volumeMounts:
            {{- if .stateful }}
            {{- range $vname, $v := $w.persistence.volumes }}
            - name: {{ $vname }}
              mountPath: {{ $v.mountPath | quote }}
            {{- end }}
            {{- end }}
            {{- with $cfg.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- end }}
{{- end -}}
