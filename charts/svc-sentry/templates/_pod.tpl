{{/*
The svc-sentry Pod template. Args: dict "ctx" $ "role" all|api|worker "component" NAME
*/}}
{{- define "svc-sentry.podTemplate" -}}
{{- $ := .ctx -}}
{{- $component := .component -}}
{{- $webhook := and $.Values.webhook.enabled (ne .role "worker") -}}
metadata:
  labels:
    {{- include "svc-sentry.selectorLabels" $ | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    {{- with $.Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") $ | sha256sum }}
    {{- with $.Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "svc-sentry.serviceAccountName" $ }}
  automountServiceAccountToken: true
  {{- with $.Values.image.pullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  {{- with $.Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ $.Values.terminationGracePeriodSeconds }}
  securityContext:
    {{- toYaml $.Values.podSecurityContext | nindent 4 }}
  {{- with $.Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $.Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $.Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  topologySpreadConstraints:
    {{- if $.Values.topologySpreadConstraints }}
    {{- toYaml $.Values.topologySpreadConstraints | nindent 4 }}
    {{- else }}
    {{- range list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
    - maxSkew: 1
      topologyKey: {{ . }}
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "svc-sentry.selectorLabels" $ | nindent 10 }}
          app.kubernetes.io/component: {{ $component }}
    {{- end }}
    {{- end }}
  containers:
    - name: svc-sentry
      image: {{ include "svc-sentry.image" $ }}
      imagePullPolicy: {{ $.Values.image.pullPolicy }}
      ports:
        - name: http
          containerPort: 8080
          protocol: TCP
        {{- if $webhook }}
        - name: webhook
          containerPort: {{ $.Values.webhook.port }}
          protocol: TCP
        {{- end }}
      env:
        - name: SVC_SENTRY_ROLE
          value: {{ .role }}
        - name: SVC_SENTRY_CONFIG
          value: /etc/svc-sentry/config/config.yaml
        - name: PORT
          value: "8080"
        - name: SVC_SENTRY_DATA_DIR
          value: /tmp/svc-sentry
        {{- if include "svc-sentry.databaseConfigured" $ }}
        - name: DATABASE_URL
          valueFrom:
            secretKeyRef:
              {{- include "svc-sentry.databaseSecretRef" $ | nindent 14 }}
        {{- end }}
        {{- include "svc-sentry.secretEnv" (dict "ctx" $ "env" "SVC_SENTRY_ENCRYPTION_KEY" "existing" $.Values.encryptionKey.existingSecret "existingKey" $.Values.encryptionKey.existingSecretKey "have" true "key" "encryption-key") | nindent 8 }}
        {{- if $.Values.upstream.url }}
        - name: SVC_SENTRY_UPSTREAM_KIND
          value: {{ $.Values.upstream.kind | quote }}
        - name: SVC_SENTRY_UPSTREAM_URL
          value: {{ $.Values.upstream.url | quote }}
        - name: SVC_SENTRY_UPSTREAM_ORG
          value: {{ $.Values.upstream.org | quote }}
        - name: SVC_SENTRY_UPSTREAM_RATE_LIMIT
          value: {{ $.Values.upstream.rateLimit | quote }}
        {{- end }}
        {{- include "svc-sentry.secretEnv" (dict "ctx" $ "env" "SVC_SENTRY_UPSTREAM_TOKEN" "existing" $.Values.upstream.existingSecret "existingKey" $.Values.upstream.existingSecretKey "have" $.Values.upstream.token "key" "upstream-token") | nindent 8 }}
        {{- include "svc-sentry.secretEnv" (dict "ctx" $ "env" "SVC_SENTRY_API_TOKENS" "existing" $.Values.api.existingSecret "existingKey" $.Values.api.existingSecretKey "have" $.Values.api.tokens "key" "api-tokens") | nindent 8 }}
        {{- include "svc-sentry.secretEnv" (dict "ctx" $ "env" "SVC_SENTRY_BKPAAS_JWT_CLIENTS" "existing" $.Values.bkpaas.existingSecret "existingKey" $.Values.bkpaas.existingSecretKey "have" $.Values.bkpaas.jwtClients "key" "bkpaas-jwt-clients") | nindent 8 }}
        - name: SVC_SENTRY_OSB_USERNAME
          value: {{ $.Values.osb.username | quote }}
        {{- include "svc-sentry.secretEnv" (dict "ctx" $ "env" "SVC_SENTRY_OSB_PASSWORD" "existing" $.Values.osb.existingSecret "existingKey" $.Values.osb.existingSecretKey "have" $.Values.osb.password "key" "osb-password") | nindent 8 }}
        - name: SVC_SENTRY_WEBHOOK_ENABLED
          value: {{ $webhook | quote }}
        {{- if $webhook }}
        - name: WEBHOOK_PORT
          value: {{ $.Values.webhook.port | quote }}
        - name: SVC_SENTRY_WEBHOOK_CERT_FILE
          value: /etc/svc-sentry/webhook-tls/tls.crt
        - name: SVC_SENTRY_WEBHOOK_KEY_FILE
          value: /etc/svc-sentry/webhook-tls/tls.key
        {{- end }}
        {{- with $.Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- if $.Values.startupProbe.enabled }}
      startupProbe:
        httpGet: { path: /healthz, port: http }
        periodSeconds: {{ $.Values.startupProbe.periodSeconds }}
        failureThreshold: {{ $.Values.startupProbe.failureThreshold }}
      {{- end }}
      {{- if $.Values.livenessProbe.enabled }}
      livenessProbe:
        httpGet: { path: /healthz, port: http }
        periodSeconds: {{ $.Values.livenessProbe.periodSeconds }}
        failureThreshold: {{ $.Values.livenessProbe.failureThreshold }}
      {{- end }}
      {{- if $.Values.readinessProbe.enabled }}
      readinessProbe:
        httpGet: { path: /readyz, port: http }
        periodSeconds: {{ $.Values.readinessProbe.periodSeconds }}
        failureThreshold: {{ $.Values.readinessProbe.failureThreshold }}
      {{- end }}
      resources:
        {{- toYaml $.Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml $.Values.containerSecurityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        - name: config
          mountPath: /etc/svc-sentry/config
          readOnly: true
        {{- if $webhook }}
        - name: webhook-tls
          mountPath: /etc/svc-sentry/webhook-tls
          readOnly: true
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: {}
    - name: config
      configMap:
        name: {{ include "svc-sentry.fullname" $ }}-config
    {{- if $webhook }}
    - name: webhook-tls
      secret:
        secretName: {{ include "svc-sentry.webhookTlsSecret" $ }}
    {{- end }}
{{- end -}}
