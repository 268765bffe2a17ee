{{/*
Container arguments for upstream values layouts: the list upstream's chart renders for the same values, flag
for flag and in the same order (GIE v1.5.0 config/charts/epplib/templates/_deployment.yaml, llm-d Router
config/charts/routerlib/templates/_deployment.yaml). The picker accepts every one of these flags.
*/}}
{{- define "epp.args.gie" -}}
{{- $ie := .Values.inferenceExtension -}}
{{- $es := dig "endpointsServer" (dict) $ie -}}
{{- $poolless := include "epp.upstreamPoolless" . -}}
{{- $type := include "epp.gieModelServerType" . -}}
{{- if $poolless }}
- --endpoint-selector
- {{ $es.endpointSelector | quote }}
- --endpoint-target-ports
- {{ $es.targetPorts | quote }}
{{- else }}
- --pool-name
- {{ include "epp.poolName" . }}
- --pool-namespace
- {{ .Release.Namespace }}
- --pool-group
- "inference.networking.k8s.io"
{{- end }}
{{- if not (dig "latencyPredictor" "enabled" false $ie) }}
{{- if eq $type "sglang" }}
- --total-queued-requests-metric="sglang:num_queue_reqs"
- --total-running-requests-metric="sglang:num_running_reqs"
- --kv-cache-usage-percentage-metric="sglang:token_usage"
- --cache-info-metric="sglang:cache_config_info"
{{- else if eq $type "triton-tensorrt-llm" }}
- --total-queued-requests-metric
- "nv_trt_llm_request_metrics{request_type=waiting}"
- --total-running-requests-metric
- "nv_trt_llm_request_metrics{request_type=scheduled}"
- --kv-cache-usage-percentage-metric
- "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=fraction}"
- --lora-info-metric
- ""
{{- else if eq $type "trtllm-serve" }}
- --total-queued-requests-metric="trtllm_num_requests_waiting"
- --total-running-requests-metric="trtllm_num_requests_running"
- --kv-cache-usage-percentage-metric="trtllm_kv_cache_utilization"
- --cache-info-metric="trtllm_cache_config_info"
- --model-server-metrics-path="/prometheus/metrics"
- --lora-info-metric
- ""
{{- end }}
{{- end }}
- --zap-encoder
- "json"
- --config-file
- "/config/{{ dig "pluginsConfigFile" "default-plugins.yaml" $ie }}"
{{- if include "epp.leaderElection" . }}
- --ha-enable-leader-election
{{- end }}
{{- /* The inferencepool chart's default flags are {v: 1}; a values file's flags merge over them. */}}
{{- range $key, $value := merge (dict) (dig "flags" (dict) $ie) (dict "v" 1) }}
- --{{ $key }}
- "{{ $value }}"
{{- end }}
- --tracing={{ if dig "tracing" "enabled" false $ie }}true{{ else }}false{{ end }}
{{- if not (dig "monitoring" "prometheus" "auth" "enabled" true $ie) }}
- --metrics-endpoint-auth=false
{{- end }}
{{- end -}}

{{- define "epp.args.llmd" -}}
{{- $r := .Values.router -}}
{{- $epp := dig "epp" (dict) $r -}}
{{- if include "epp.upstreamPoolless" . }}
- --endpoint-selector
- {{ include "epp.labelSelector" (dig "modelServers" "matchLabels" (dict) $r) | trimSuffix "," | quote }}
- --endpoint-target-ports
- {{ include "epp.portList" (dig "modelServers" "targetPorts" (list (dict "number" 8000)) $r) | trimSuffix "," | quote }}
{{- else }}
- --pool-name
- {{ include "epp.poolName" . }}
- --pool-namespace
- {{ .Release.Namespace }}
- --pool-group
- "inference.networking.k8s.io"
{{- end }}
- --zap-encoder
- "json"
- --config-file
- "/config/{{ dig "pluginsConfigFile" "default-plugins.yaml" $epp }}"
{{- if include "epp.leaderElection" . }}
- --ha-enable-leader-election
{{- end }}
- --grpc-health-port
- "{{ include "epp.healthPort" . }}"
{{- range $key, $value := dig "flags" (dict) $epp }}
- {{ printf "--%s=%v" $key $value | quote }}
{{- end }}
- --tracing={{ if dig "tracing" "enabled" false $r }}true{{ else }}false{{ end }}
{{- if not (dig "monitoring" "prometheus" "auth" "enabled" true $r) }}
- --metrics-endpoint-auth=false
{{- end }}
{{- end -}}

{{/* GIE's modelServerType: endpointsServer's in pool-less mode, else inferencePool's; vllm by default. */}}
{{- define "epp.gieModelServerType" -}}
{{- if include "epp.upstreamPoolless" . -}}
{{- dig "endpointsServer" "modelServerType" "vllm" .Values.inferenceExtension -}}
{{- else -}}
{{- dig "modelServerType" "vllm" .Values.inferencePool -}}
{{- end -}}
{{- end -}}
