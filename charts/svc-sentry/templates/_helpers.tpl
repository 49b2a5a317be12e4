{{/* Names */}}
{{- define "svc-sentry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "svc-sentry.fullname" -}}
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

{{- define "svc-sentry.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "svc-sentry.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "svc-sentry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "svc-sentry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "svc-sentry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "svc-sentry.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "svc-sentry.image" -}}
{{- $repo := .Values.image.repository -}}
{{- if .Values.image.registry }}{{ $repo = printf "%s/%s" .Values.image.registry .Values.image.repository }}{{ end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repo .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The namespaces no svc-sentry webhook or Secret write may touch. */}}
{{- define "svc-sentry.systemNamespaces" -}}
{{- toJson (list "kube-system" "kube-public" "kube-node-lease") -}}
{{- end -}}

{{/* Effective settings after the preset. */}}
{{- define "svc-sentry.labelPreset" -}}
{{- if .Values.config.labelPreset }}{{ .Values.config.labelPreset }}{{ else if eq .Values.preset "bkpaas" }}bkpaas{{ else }}default{{ end -}}
{{- end -}}
{{- define "svc-sentry.namespaceTemplate" -}}
{{- if .Values.config.namespaceTemplate }}{{ .Values.config.namespaceTemplate }}{{ else if eq .Values.preset "bkpaas" }}bkapp-{app}-{env}{{ else }}{app}-{env}{{ end -}}
{{- end -}}

{{/* Secret names: a user's existingSecret or the chart's own. */}}
{{- define "svc-sentry.secretName" -}}
{{- printf "%s-secrets" (include "svc-sentry.fullname" .) -}}
{{- end -}}
{{- define "svc-sentry.webhookTlsSecret" -}}
{{- if .Values.webhook.tls.existingSecret }}{{ .Values.webhook.tls.existingSecret }}{{ else }}{{ printf "%s-webhook-tls" (include "svc-sentry.fullname" .) }}{{ end -}}
{{- end -}}

{{- define "svc-sentry.databaseConfigured" -}}
{{- if or .Values.database.url .Values.database.existingSecret .Values.postgresql.enabled }}true{{ end -}}
{{- end -}}

{{/* secretKeyRef of the database URL. */}}
{{- define "svc-sentry.databaseSecretRef" -}}
{{- if .Values.database.existingSecret -}}
name: {{ .Values.database.existingSecret }}
key: {{ .Values.database.existingSecretKey }}
{{- else -}}
name: {{ include "svc-sentry.secretName" . }}
key: database-url
{{- end -}}
{{- end -}}

{{/*
One env entry taken from a Secret key: the user's existingSecret when set, else the chart's Secret when the value is set,
else nothing. Args: dict "ctx" $ "env" NAME "existing" SECRET "existingKey" KEY "have" BOOL "key" CHARTKEY
*/}}
{{- define "svc-sentry.secretEnv" -}}
{{- if .existing }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .existing }}
      key: {{ .existingKey }}
{{- else if .have }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ include "svc-sentry.secretName" .ctx }}
      key: {{ .key }}
{{- end }}
{{- end -}}

{{/* The generated password of the evaluation PostgreSQL, kept across upgrades. */}}
{{- define "svc-sentry.postgresPassword" -}}
{{- if .Values.postgresql.password -}}
{{- .Values.postgresql.password -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "svc-sentry.secretName" .) -}}
{{- if and $existing $existing.data (hasKey $existing.data "postgres-password") -}}
{{- index $existing.data "postgres-password" | b64dec -}}
{{- else -}}
{{- randAlphaNum 24 -}}
{{- end -}}
{{- end -}}
{{- end -}}
