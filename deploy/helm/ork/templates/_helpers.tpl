{{/*
Names. fullname is fullnameOverride or the release name, cut so that the
longest suffix ("-orchestrator") still fits a 63-character DNS label.
*/}}
{{- define "ork.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ork.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{/* ork.componentName: (dict "root" $ "component" "api") -> <fullname>-api */}}
{{- define "ork.componentName" -}}
{{- printf "%s-%s" (include "ork.fullname" .root) .component -}}
{{- end -}}

{{- define "ork.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels. The component ones take (dict "root" $ "component" "api"). */}}
{{- define "ork.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ork.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ork.labels" -}}
helm.sh/chart: {{ include "ork.chart" . }}
{{ include "ork.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ork
{{- end -}}

{{- define "ork.componentSelectorLabels" -}}
{{ include "ork.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ork.componentLabels" -}}
{{ include "ork.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The one image every ork container runs. */}}
{{- define "ork.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Where api and workers dial the orchestrators (headless Service). */}}
{{- define "ork.orchestratorControl" -}}
tcp://{{ include "ork.componentName" (dict "root" . "component" "orchestrator") }}:7400
{{- end -}}

{{- define "ork.orchestratorEvents" -}}
tcp://{{ include "ork.componentName" (dict "root" . "component" "orchestrator") }}:7401
{{- end -}}

{{/* Secrets: an existing one, or the one this chart creates. */}}
{{- define "ork.databaseSecretName" -}}
{{- default (include "ork.fullname" .) .Values.database.existingSecret -}}
{{- end -}}

{{- define "ork.adminSecretName" -}}
{{- default (include "ork.fullname" .) .Values.admin.existingSecret -}}
{{- end -}}

{{- define "ork.databaseSecretKey" -}}
{{- if .Values.database.existingSecret }}{{ .Values.database.existingSecretKey }}{{ else }}database-url{{ end -}}
{{- end -}}

{{- define "ork.adminSecretKey" -}}
{{- if .Values.admin.existingSecret }}{{ .Values.admin.existingSecretKey }}{{ else }}admin-password{{ end -}}
{{- end -}}

{{- define "ork.databaseUrl" -}}
{{- required "the database is not set: give database.url or database.existingSecret" .Values.database.url -}}
{{- end -}}

{{- define "ork.adminPassword" -}}
{{- required "the first admin's password is not set: give admin.password or admin.existingSecret" .Values.admin.password -}}
{{- end -}}

{{/* Environment every daemon shares. */}}
{{- define "ork.commonEnv" -}}
- name: ORK_LOG_LEVEL
  value: {{ .Values.log.level | quote }}
- name: ORK_LOG_FORMAT
  value: {{ .Values.log.format | quote }}
{{- end -}}

{{/*
ORK_DATABASE_URL from a Secret. The migration hook passes its own Secret
name, since on a first install the chart's Secret does not exist yet when
pre-install hooks run.
*/}}
{{- define "ork.databaseEnv" -}}
- name: ORK_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName | default (include "ork.databaseSecretName" .root) }}
      key: {{ include "ork.databaseSecretKey" .root }}
{{- end -}}

{{/* Pod-level settings every ork pod shares. */}}
{{- define "ork.podCommon" -}}
automountServiceAccountToken: {{ .Values.automountServiceAccountToken }}
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/*
nodeSelector, tolerations and affinity of one tier's values; empty when
none is set, so callers wrap it in `with`.
*/}}
{{- define "ork.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Probes on a daemon's health port: (dict "root" $ "port" "health"). */}}
{{- define "ork.probes" -}}
livenessProbe:
  httpGet:
    path: /health
    port: {{ .port }}
  {{- toYaml .root.Values.probes.liveness | nindent 2 }}
readinessProbe:
  httpGet:
    path: /ready
    port: {{ .port }}
  {{- toYaml .root.Values.probes.readiness | nindent 2 }}
{{- end -}}

{{/* Annotations that restart pods when the chart's Secret changes. */}}
{{- define "ork.secretChecksum" -}}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}
