{{/* Base name of every resource: <release>-epp, truncated to the 63-character DNS label limit. */}}
{{- define "epp.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default "epp" .Values.nameOverride -}}
{{- printf "%s-%s" (.Release.Name | trunc 40 | trimSuffix "-") $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Upstream layouts keep upstream's selector (immutable on a Deployment), so helm upgrade replaces its chart in place. */}}
{{- define "epp.selectorLabels" -}}
{{- $layout := include "epp.layout" . -}}
{{- if eq $layout "gie" -}}
{{ if include "epp.upstreamPoolless" . }}epp{{ else }}inferencepool{{ end }}: {{ include "epp.fullname" . }}
{{- else if eq $layout "llm-d" -}}
{{ if include "epp.upstreamPoolless" . }}llm-d-router-standalone{{ else }}llm-d-router-gateway{{ end }}: {{ include "epp.fullname" . }}
{{- else -}}
app.kubernetes.io/name: {{ default "epp" .Values.nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- end -}}

{{- define "epp.labels" -}}
{{- if eq (include "epp.layout" .) "epp" -}}
{{ include "epp.selectorLabels" . }}
{{- else -}}
app.kubernetes.io/name: {{ include "epp.fullname" . }}
{{- end }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The pool the picker serves. */}}
{{- define "epp.poolName" -}}
{{- default .Release.Name .Values.inferencePool.name -}}
{{- end -}}

{{/* Upstream's Lease name (llm-d Router pkg/epp/server/controller_manager.go); the picker uses the same. */}}
{{- define "epp.leaseName" -}}
{{- printf "epp-%s-%s.llm-d.ai" .Release.Namespace (include "epp.poolName" .) -}}
{{- end -}}

{{- define "epp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "epp.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "epp.leaderElection" -}}
{{- if eq (include "epp.layout" .) "epp" -}}
{{- if or .Values.leaderElection.enabled (and (gt (int .Values.replicas) 1) (not .Values.replicaSync.enabled)) -}}true{{- end -}}
{{- else if gt (int (include "epp.replicas" .)) 1 -}}true{{- end -}}
{{- end -}}

{{- define "epp.poolVersion" -}}
{{- if eq .Values.inferencePool.group "inference.networking.x-k8s.io" -}}v1alpha2{{- else -}}v1{{- end -}}
{{- end -}}

{{/*
Values layout: "gie" when the values carry GIE v1.5's inferenceExtension.* (inferencepool chart), "llm-d" when they
carry the llm-d Router chart's router.*, else "epp" (this chart's own keys). Upstream layouts render the
arguments, probes, Service and selector labels upstream's chart renders; see docs/migrating.md.
*/}}
{{- define "epp.layout" -}}
{{- if .Values.router -}}llm-d{{- else if .Values.inferenceExtension -}}gie{{- else -}}epp{{- end -}}
{{- end -}}

{{/* Reads of upstream values go through dig: a key a partial upstream values file leaves out takes upstream's default. */}}

{{/* "true" when upstream values select pool-less mode (GIE endpointsServer, llm-d router.inferencePool.create=false). */}}
{{- define "epp.upstreamPoolless" -}}
{{- $layout := include "epp.layout" . -}}
{{- if eq $layout "gie" -}}
{{- $es := dig "endpointsServer" (dict) .Values.inferenceExtension -}}
{{- if and $es (not $es.createInferencePool) -}}true{{- end -}}
{{- else if eq $layout "llm-d" -}}
{{- if eq (dig "inferencePool" "create" true .Values.router) false -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/* Picker replicas in every layout. */}}
{{- define "epp.replicas" -}}
{{- if eq (include "epp.layout" .) "epp" -}}{{ .Values.replicas }}{{- else if .Values.router -}}{{ dig "epp" "replicas" 1 .Values.router }}{{- else -}}{{ dig "replicas" 1 .Values.inferenceExtension }}{{- end -}}
{{- end -}}

{{/* gRPC health port: ports.health, router.epp.grpcHealthPort, or GIE's fixed 9003. */}}
{{- define "epp.healthPort" -}}
{{- if eq (include "epp.layout" .) "epp" -}}{{ .Values.ports.health }}{{- else if .Values.router -}}{{ dig "epp" "grpcHealthPort" 9003 .Values.router }}{{- else -}}9003{{- end -}}
{{- end -}}

{{/* "k=v,k=v" from a matchLabels map (llm-d's pool-less --endpoint-selector). */}}
{{- define "epp.labelSelector" -}}
{{- range $k, $v := . }}{{ printf "%s=%v," $k $v }}{{ end -}}
{{- end -}}

{{/* "8000,8001" from a targetPorts list. */}}
{{- define "epp.portList" -}}
{{- range . }}{{ printf "%v," .number }}{{ end -}}
{{- end -}}
