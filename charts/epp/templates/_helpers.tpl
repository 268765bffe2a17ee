{{/* Base name of every resource: <release>-epp, truncated to the 63-character DNS label limit. */}}
{{- define "epp.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default "epp" .Values.nameOverride -}}
{{- printf "%s-%s" (.Release.Name | trunc 40 | trimSuffix "-") $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "epp.selectorLabels" -}}
app.kubernetes.io/name: {{ default "epp" .Values.nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "epp.labels" -}}
{{ include "epp.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The pool the picker serves. */}}
{{- define "epp.poolName" -}}
{{- default .Release.Name .Values.inferencePool.name -}}
{{- end -}}

{{/* Must equal leaseNameForPool() in src/k8s/leader-election.ts. */}}
{{- define "epp.leaseName" -}}
{{- printf "%s-epp-leader" (include "epp.poolName" .) -}}
{{- end -}}

{{- define "epp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "epp.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "epp.leaderElection" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicas) 1) -}}true{{- end -}}
{{- end -}}

{{- define "epp.poolVersion" -}}
{{- if eq .Values.inferencePool.group "inference.networking.x-k8s.io" -}}v1alpha2{{- else -}}v1{{- end -}}
{{- end -}}
