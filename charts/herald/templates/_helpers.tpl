{{/*
Object names are fixed (one herald per cluster, DESIGN.md "Ports and names"); only the namespace comes
from the release.
*/}}

{{- define "herald.chart" -}}
{{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels. Call with (dict "root" $ "component" "controller"). */}}
{{- define "herald.selectorLabels" -}}
app.kubernetes.io/name: herald
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end }}

{{/* Standard labels. Call with (dict "root" $ "component" "controller"); component may be empty. */}}
{{- define "herald.labels" -}}
{{ include "herald.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: herald
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "herald.chart" .root }}
{{- end }}

{{- define "herald.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/*
The rules of one object in rbac/<component>.yaml, the single source of herald's RBAC (integration tests run
the binaries with tokens bound to exactly these rules). Call with (list $ "rbac/controller.yaml" "ClusterRole").
*/}}
{{- define "herald.rbacRules" -}}
{{- $root := index . 0 -}}
{{- $file := index . 1 -}}
{{- $kind := index . 2 -}}
{{- $text := $root.Files.Get $file -}}
{{- if not $text -}}
{{- fail (printf "chart file %s is missing or empty: the chart takes its RBAC rules from it" $file) -}}
{{- end -}}
{{- $rules := list -}}
{{- $found := false -}}
{{- range $doc := regexSplit "(?m)^---[ \\t]*$" $text -1 -}}
{{- $obj := fromYaml $doc -}}
{{- if eq (toString (get $obj "kind")) $kind -}}
{{- $rules = get $obj "rules" -}}
{{- $found = true -}}
{{- end -}}
{{- end -}}
{{- if not $found -}}
{{- fail (printf "chart file %s has no %s document" $file $kind) -}}
{{- end -}}
{{- toYaml $rules -}}
{{- end }}

{{- define "herald.dns1123" -}}
^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
{{- end }}

{{/*
All pools, from addressPools and the legacy configInline, as JSON {"pools": [{name, source, labels, spec, l2}]}.
Everything that can be wrong beyond the schema fails here, with the pool named.
*/}}
{{- define "herald.pools" -}}
{{- $pools := list -}}
{{- $seen := dict -}}
{{- range $i, $p := .Values.addressPools -}}
{{- $spec := dict "addresses" $p.addresses -}}
{{- if hasKey $p "autoAssign" }}{{ $_ := set $spec "autoAssign" $p.autoAssign }}{{ end -}}
{{- if hasKey $p "avoidBuggyIPs" }}{{ $_ := set $spec "avoidBuggyIPs" $p.avoidBuggyIPs }}{{ end -}}
{{- if hasKey $p "serviceAllocation" }}{{ $_ := set $spec "serviceAllocation" $p.serviceAllocation }}{{ end -}}
{{- $l2 := $p.l2 | default dict -}}
{{- $src := printf "addressPools[%d]" $i -}}
{{- if hasKey $seen $p.name -}}
{{- fail (printf "%s: pool name %q is already used by %s; pool names must be unique" $src $p.name (get $seen $p.name)) -}}
{{- end -}}
{{- $_ := set $seen $p.name $src -}}
{{- $pools = append $pools (dict "name" $p.name "source" $src "labels" ($p.labels | default dict) "spec" $spec
      "l2" (dict "enabled" (ternary $l2.enabled true (hasKey $l2 "enabled")) "interfaces" ($l2.interfaces | default list) "nodeSelectors" ($l2.nodeSelectors | default list))) -}}
{{- end -}}
{{- with .Values.configInline -}}
{{- range $section := list "peers" "bgp-communities" "bfd-profiles" -}}
{{- if get $.Values.configInline $section -}}
{{- fail (printf "herald does not support BGP yet: configInline has %s; remove them (only protocol layer2 pools are converted)" $section) -}}
{{- end -}}
{{- end -}}
{{- range $i, $p := get . "address-pools" -}}
{{- $src := printf "configInline.address-pools[%d]" $i -}}
{{- if eq $p.protocol "bgp" -}}
{{- fail (printf "herald does not support BGP yet: pool %q has protocol bgp; use protocol layer2" $p.name) -}}
{{- end -}}
{{- if get $p "bgp-advertisements" -}}
{{- fail (printf "%s: pool %q has bgp-advertisements, which only apply to protocol bgp; remove them" $src $p.name) -}}
{{- end -}}
{{- if or (gt (len $p.name) 250) (not (regexMatch (include "herald.dns1123" $) $p.name)) -}}
{{- $suggest := regexReplaceAll "[^a-z0-9.-]+" (lower $p.name) "-" -}}
{{- $suggest = regexReplaceAll "^[-.]+|[-.]+$" (trunc 250 $suggest) "" -}}
{{- $suggest = $suggest | default (printf "pool-%d" $i) -}}
{{- fail (printf "%s: pool name %q is not a valid Kubernetes object name (lower-case letters, digits, \"-\" and \".\", starting and ending with a letter or digit, at most 250 characters); herald does not rename pools because Services name them in the address-pool annotation: rename it (e.g. to %q) and update those Services" $src $p.name $suggest) -}}
{{- end -}}
{{- if hasKey $seen $p.name -}}
{{- fail (printf "%s: pool name %q is already used by %s; pool names must be unique" $src $p.name (get $seen $p.name)) -}}
{{- end -}}
{{- $_ := set $seen $p.name $src -}}
{{- $addresses := list -}}
{{- range $a := $p.addresses }}{{ $addresses = append $addresses (regexReplaceAll "\\s" $a "") }}{{ end -}}
{{- $spec := dict "addresses" $addresses -}}
{{- if hasKey $p "auto-assign" }}{{ $_ := set $spec "autoAssign" (get $p "auto-assign") }}{{ end -}}
{{- if hasKey $p "avoid-buggy-ips" }}{{ $_ := set $spec "avoidBuggyIPs" (get $p "avoid-buggy-ips") }}{{ end -}}
{{- /* MetalLB < 0.13 announced every layer2 pool from every node on every interface. */ -}}
{{- $pools = append $pools (dict "name" $p.name "source" $src "labels" dict "spec" $spec "l2" (dict "enabled" true "interfaces" list "nodeSelectors" list)) -}}
{{- end -}}
{{- end -}}
{{- toJson (dict "pools" $pools) -}}
{{- end }}

{{/*
A component's V8 heap cap in MiB (--max-old-space-size), or nothing; call with .Values.controller or
.Values.speaker. Node sizes its heap limit from the container's memory limit (259 MiB under 256Mi), so V8
sees no reason to collect before the kernel OOM-kills the container; the cap leaves the rest of the limit
to what is not heap: the node binary and code (~50 MiB), the young generation (2 x 2 MiB semi-spaces) and
malloc. maxHeapMiB wins; otherwise it is the memory limit minus 96 MiB when the limit is written in Mi or
Gi (32 MiB at least), else no cap.
*/}}
{{- define "herald.maxHeapMiB" -}}
{{- if .maxHeapMiB -}}
{{- .maxHeapMiB | int -}}
{{- else -}}
{{- $limit := toString (dig "limits" "memory" "" (.resources | default dict)) -}}
{{- $mi := 0 -}}
{{- if regexMatch "^[0-9]+Mi$" $limit -}}
{{- $mi = trimSuffix "Mi" $limit | atoi -}}
{{- else if regexMatch "^[0-9]+Gi$" $limit -}}
{{- $mi = mul (trimSuffix "Gi" $limit | atoi) 1024 -}}
{{- end -}}
{{- if gt $mi 0 -}}
{{- max 32 (sub $mi 96) -}}
{{- end -}}
{{- end -}}
{{- end }}
