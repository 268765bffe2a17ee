{{/*
The ConfigMap's files. Own layout: plugins.yaml from pluginsConfig. Upstream layouts: default-plugins.yaml as
upstream's chart writes it (GIE v1.5.0 epplib/templates/_config.yaml, llm-d Router routerlib/templates/_config.yaml,
without the latency-predictor branch), then the values' pluginsCustomConfig files; --config-file names one of them.
*/}}
{{- define "epp.configData" -}}
{{- $layout := include "epp.layout" . -}}
{{- if eq $layout "epp" -}}
{{- if .Values.pluginsConfig -}}
plugins.yaml: |
  {{- .Values.pluginsConfig | nindent 2 }}
{{- end -}}
{{- else -}}
{{- $src := dig "epp" .Values.inferenceExtension .Values.router -}}
default-plugins.yaml: |
  {{- include "epp.defaultPlugins" . | nindent 2 }}
{{- with (dig "pluginsCustomConfig" (dict) $src) }}
{{ toYaml . }}
{{- end }}
{{- end -}}
{{- end -}}

{{- define "epp.defaultPlugins" -}}
{{- $llmd := eq (include "epp.layout" .) "llm-d" -}}
{{- $src := dig "epp" .Values.inferenceExtension .Values.router -}}
{{- $type := include "epp.gieModelServerType" . -}}
{{- $protocol := dig "modelServerProtocol" "http" .Values.inferencePool -}}
{{- if include "epp.upstreamPoolless" . }}{{ $protocol = dig "endpointsServer" "modelServerProtocol" "http" .Values.inferenceExtension }}{{ end -}}
{{- if $llmd -}}
{{- $type = dig "modelServers" "type" "vllm" .Values.router -}}
{{- $protocol = dig "modelServers" "protocol" "http" .Values.router -}}
{{- end -}}
{{- $parsers := list -}}
{{- if and (eq $type "vllm") (eq $protocol "grpc") -}}
{{- $parsers = list "vllmgrpc-parser" -}}
{{- else if $llmd -}}
{{- if dig "parsers" (list) $src }}{{ $parsers = dig "parsers" (list) $src }}{{ else if eq $type "triton" }}{{ $parsers = list "passthrough-parser" }}{{ end -}}
{{- else if dig "parser" "" .Values.inferencePool -}}
{{- $parsers = list (dig "parser" "" .Values.inferencePool) -}}
{{- end -}}
{{- $mds := dig "metricsDataSource" (dict) $src -}}
apiVersion: {{ if $llmd }}llm-d.ai/v1alpha1{{ else }}inference.networking.x-k8s.io/v1alpha1{{ end }}
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: prefix-cache-scorer
- type: metrics-data-source
  parameters:
    scheme: {{ dig "scheme" "http" $mds | quote }}
    path: {{ dig "path" "/metrics" $mds | quote }}
    insecureSkipVerify: {{ dig "insecureSkipVerify" true $mds }}
- type: core-metrics-extractor
  {{- if ne $type "vllm" }}
  parameters:
    defaultEngine: {{ $type | quote }}
  {{- end }}
{{- range $parsers }}
- type: {{ . }}
{{- end }}
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
    weight: 2
  - pluginRef: kv-cache-utilization-scorer
    weight: 2
  - pluginRef: prefix-cache-scorer
    weight: 3
{{- if $parsers }}
{{- if $llmd }}
requestHandler:
  parsers:
  {{- range $parsers }}
  - pluginRef: {{ . }}
  {{- end }}
{{- else }}
parser:
  pluginRef: {{ first $parsers }}
{{- end }}
{{- end }}
{{- end -}}
