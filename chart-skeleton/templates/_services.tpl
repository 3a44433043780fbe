{{/*
The extra Services of a workload serving several protocols: one per protocol after the first,
named "<name>-<i>-<protocol>" on port `port + i`, as Jina does for executors and gateways that
serve several. `service` (optional) carries the gateway's type, annotations and node ports.
Usage: include "flowhelm.protocolServices" (dict "root" $ "name" $name "protocols" $list
  "component" $c "labels" $labels "jina" $jina ["service" $svc])
*/}}
{{- define "flowhelm.protocolServices" -}}
{{- $svc := .service | default dict -}}
{{- range $i, $p := .protocols }}
{{- if gt $i 0 }}
{{- $name := printf "%s-%d-%s" $.name $i $p }}
{{- $port := add $.jina.port $i }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  namespace: {{ $.root.Release.Namespace }}
  labels:
    {{- $.labels | nindent 4 }}
    app.kubernetes.io/component: {{ $.component }}
    app: {{ $name }}
  {{- with $svc.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $svc.type | default "ClusterIP" }}
  ports:
    - name: {{ $p }}
      port: {{ $port }}
      targetPort: {{ $port }}
      protocol: TCP
      {{- with (index ($svc.nodePorts | default dict) $p) }}
      nodePort: {{ . }}
      {{- end }}
  selector:
    app: {{ $.name }}
    app.kubernetes.io/instance: {{ $.root.Release.Name }}
{{- end }}
{{- end }}
{{- end -}}
